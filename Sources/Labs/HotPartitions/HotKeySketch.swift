/// Space-Saving (Metwally, Agrawal, El Abbadi, "Efficient computation of frequent and top-k elements
/// in data streams", 2005): the heavy hitters of a stream in a FIXED number of counters, whatever
/// the number of distinct keys. A key already counted gets +1; a new key takes a free counter, or,
/// when all are taken, the counter of the smallest count, inheriting that count as its possible
/// overestimate (`error`). Any key seen more than total / capacity times is guaranteed to be in the
/// sketch, and `count - error` is a lower bound of its true count: what detection decides on.
struct HotPartitionSketch: Sendable {
    struct Counter: Sendable {
        var key: String
        var count: Int
        /// How much of `count` may belong to the keys this counter replaced.
        var error: Int
        /// The count this key is certain to have had in the window.
        var guaranteed: Int { count - error }
    }

    let capacity: Int
    private(set) var total = 0
    private var counters: [Counter] = []
    private var index: [String: Int] = [:]

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        counters.reserveCapacity(capacity)
    }

    mutating func record(_ key: String) {
        total += 1
        if let slot = index[key] {
            counters[slot].count += 1
        } else if counters.count < capacity {
            index[key] = counters.count
            counters.append(Counter(key: key, count: 1, error: 0))
        } else {
            // Evict the smallest counter (a linear scan: a few dozen counters).
            var smallest = 0
            for slot in counters.indices where counters[slot].count < counters[smallest].count { smallest = slot }
            let floor = counters[smallest].count
            index[counters[smallest].key] = nil
            counters[smallest] = Counter(key: key, count: floor + 1, error: floor)
            index[key] = smallest
        }
    }

    /// The counters, largest guaranteed count first.
    func top(_ n: Int) -> [Counter] {
        Array(counters.sorted { ($0.guaranteed, $0.count) > ($1.guaranteed, $1.count) }.prefix(n))
    }
}
