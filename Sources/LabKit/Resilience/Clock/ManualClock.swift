import Synchronization

/// A clock that only moves when a test tells it to.
///
/// Every resilience pattern in LabKit is generic over `some Clock<Duration>`: production code passes
/// `ContinuousClock`, tests pass a `ManualClock` so that "wait 30 seconds in the open state" takes no
/// real time and happens exactly when the test calls ``advance(by:)``.
///
/// Sleepers (tasks in `clock.sleep(...)`) are woken by ``advance(by:)`` in deadline order. The clock
/// jumps straight to the new time: a task woken at t=1 s that sleeps again for 1 s while the clock was
/// advanced to t=5 s now sleeps until t=6 s. Tests that need to act at intermediate instants advance in
/// steps. Use ``waitForSleepers(count:)`` to know that the code under test has reached its sleep before
/// moving time, so a test never races the code it drives.
public final class ManualClock: Clock, Sendable {
    /// A point on the manual time line: the time elapsed since the clock was created.
    public struct Instant: InstantProtocol, CustomStringConvertible {
        public var offset: Duration

        public init(offset: Duration) { self.offset = offset }

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        public var description: String { "t+\(offset)" }
    }

    private struct Sleeper {
        let id: UInt64
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct SleeperCountWaiter {
        let count: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        var countWaiters: [SleeperCountWaiter] = []

        /// Removes and returns the waiters satisfied by the current number of sleepers.
        mutating func takeSatisfiedCountWaiters() -> [CheckedContinuation<Void, Never>] {
            let satisfied = countWaiters.filter { $0.count <= sleepers.count }
            countWaiters.removeAll { $0.count <= sleepers.count }
            return satisfied.map(\.continuation)
        }
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// The number of tasks currently sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Suspends until `deadline`, which only passes when a test advances the clock.
    /// Throws `CancellationError` if the sleeping task is cancelled.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Registration and the cancellation handler both run under the lock. Task cancellation
                // sets the flag before running handlers, so either we see the flag here or the handler
                // finds the registered sleeper: a cancelled sleep can never be lost.
                enum Action {
                    case resume, cancel
                    case slept([CheckedContinuation<Void, Never>])
                }
                let action = state.withLock { state -> Action in
                    if Task.isCancelled { return .cancel }
                    if deadline <= state.now { return .resume }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .slept(state.takeSatisfiedCountWaiters())
                }
                switch action {
                case .resume: continuation.resume()
                case .cancel: continuation.resume(throwing: CancellationError())
                case .slept(let waiters): waiters.forEach { $0.resume() }
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has been reached, earliest first.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualClock cannot go back in time")
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time forward to `instant` (no-op if it is already past).
    public func advance(to instant: Instant) {
        let delta = now.duration(to: instant)
        if delta > .zero { advance(by: delta) }
    }

    /// Suspends until at least `count` tasks are sleeping on this clock.
    public func waitForSleepers(count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.sleepers.count >= count { return true }
                state.countWaiters.append(SleeperCountWaiter(count: count, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

extension ManualClock.Instant: Hashable {}
