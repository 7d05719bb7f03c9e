import Synchronization

/// The last good value per key, served when the source fails (RFC 5861's `stale-if-error`): every
/// request still asks the source, and a success refreshes the entry, so the cache only speaks while
/// the source cannot — and it says how old its answer is. Entries older than `maxStale` are not
/// served; better no price than a price from last week.
final class StaleWhileErrorCache<Value: Sendable>: Sendable {
    struct Entry: Sendable {
        var value: Value
        var storedAt: ContinuousClock.Instant
    }

    let maxStale: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(maxStale: Duration) { self.maxStale = maxStale }

    func store(_ value: Value, for key: String) {
        entries.withLock { $0[key] = Entry(value: value, storedAt: .now) }
    }

    /// The remembered value and its age, if there is one young enough.
    func stale(for key: String) -> (value: Value, age: Duration)? {
        guard let entry = entries.withLock({ $0[key] }) else { return nil }
        let age = ContinuousClock.now - entry.storedAt
        return age <= maxStale ? (entry.value, age) : nil
    }
}
