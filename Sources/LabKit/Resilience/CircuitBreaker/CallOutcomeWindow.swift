/// The tallies a circuit breaker decides on.
struct CallTally: Equatable {
    var calls = 0
    var failures = 0
    var slowCalls = 0

    mutating func add(failed: Bool, slow: Bool) {
        calls += 1
        if failed { failures += 1 }
        if slow { slowCalls += 1 }
    }

    mutating func remove(_ other: CallTally) {
        calls -= other.calls
        failures -= other.failures
        slowCalls -= other.slowCalls
    }

    /// Whether `part` of `calls` is at or above `thresholdPercent`, computed without division.
    func reaches(_ part: Int, thresholdPercent: Double) -> Bool {
        Double(part) * 100 >= thresholdPercent * Double(calls)
    }
}

/// A circuit breaker's sliding window over recent call outcomes. It keeps running totals, so reading
/// them is O(1); recording is O(1) for the count-based window and O(seconds) for the time-based one.
///
/// Both windows are a ring of slots: one slot per call (count-based) or one per second (time-based).
struct CallOutcomeWindow {
    private let isTimeBased: Bool
    private var slots: [CallTally]
    /// Time-based only: the second each slot currently holds (-1 = empty).
    private var slotSeconds: [Int64]
    /// Count-based only: the slot the next call overwrites (the oldest one).
    private var nextSlot = 0
    private var total = CallTally()

    init(_ window: CircuitBreakerConfiguration.SlidingWindow) {
        switch window {
        case .countBased(let size):
            isTimeBased = false
            slots = Array(repeating: CallTally(), count: size)
            slotSeconds = []
        case .timeBased(let seconds):
            isTimeBased = true
            slots = Array(repeating: CallTally(), count: seconds)
            slotSeconds = Array(repeating: -1, count: seconds)
        }
    }

    /// Records one completed call. `second` is whole seconds since the breaker was created
    /// (ignored by count-based windows).
    mutating func record(failed: Bool, slow: Bool, second: Int64) {
        let index: Int
        if isTimeBased {
            expire(asOf: second)
            index = Int(second % Int64(slots.count))
        } else {
            index = nextSlot
            nextSlot = (nextSlot + 1) % slots.count
            total.remove(slots[index]) // the oldest call falls out (an empty tally until the ring is full)
            slots[index] = CallTally()
        }
        slots[index].add(failed: failed, slow: slow)
        total.add(failed: failed, slow: slow)
    }

    /// The totals over the window as of `second`.
    mutating func tally(second: Int64) -> CallTally {
        if isTimeBased { expire(asOf: second) }
        return total
    }

    /// Time-based only: empties the slots of seconds that have left the window, i.e. seconds
    /// `<= second - slots.count`, and claims the slot for `second` (which is then empty, or already
    /// holds `second`: no other second of the window maps to it).
    private mutating func expire(asOf second: Int64) {
        let count = Int64(slots.count)
        for index in slots.indices where slotSeconds[index] != -1 && slotSeconds[index] <= second - count {
            total.remove(slots[index])
            slots[index] = CallTally()
            slotSeconds[index] = -1
        }
        slotSeconds[Int(second % count)] = second
    }
}
