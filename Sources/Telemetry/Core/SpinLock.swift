import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A test-and-set lock for critical sections of a few hundred nanoseconds at most, where unlocking
/// must be possible outside a closure: `TelemetrySpan` holds it across a `_modify` accessor's `yield`,
/// which `Mutex.withLock` cannot express. A waiter spins briefly, then gives its core away
/// (`sched_yield`), so a holder that was preempted gets to run and finish.
///
/// Not for anything that may block or take long: use `Mutex` there.
struct SpinLock: ~Copyable, Sendable {
    private let locked = Atomic<Bool>(false)

    init() {}

    func lock() {
        var attempts = 0
        while !locked.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            attempts += 1
            if attempts % 32 == 0 { sched_yield() }
        }
    }

    func unlock() {
        locked.store(false, ordering: .releasing)
    }
}
