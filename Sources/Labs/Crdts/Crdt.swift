/// The replicated data types of week 49, pure values with a `merge` (no I/O, no clock of their own).
///
/// A state-based CRDT is a value whose `merge` is commutative (a ⊔ b = b ⊔ a), associative
/// ((a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)) and idempotent (a ⊔ a = a): replicas that have seen the same updates,
/// in any order, any number of times, hold the same value. `LWWRegister` merges too (it keeps the
/// later write), and converges as well, but it converges by throwing the other write away.

/// A unique name for one `add` of an OR-set element: the replica that added it and that replica's
/// own sequence number.
struct Tag: Hashable, Codable, Sendable, Comparable {
    var replica: String
    var seq: Int

    static func < (a: Tag, b: Tag) -> Bool { (a.replica, a.seq) < (b.replica, b.seq) }
}

/// A counter that goes up and down: one grow-only count of increments and one of decrements per
/// replica. A replica only ever raises its own entries, so merging is an entry-wise max, and no
/// increment made anywhere is lost.
struct PNCounter: Codable, Sendable, Equatable {
    private(set) var increments: [String: Int] = [:]
    private(set) var decrements: [String: Int] = [:]

    var value: Int { increments.values.reduce(0, +) - decrements.values.reduce(0, +) }

    /// `delta` > 0 counts increments, < 0 decrements, made on `replica`.
    mutating func add(_ delta: Int, on replica: String) {
        if delta >= 0 { increments[replica, default: 0] += delta } else { decrements[replica, default: 0] += -delta }
    }

    func merged(with other: PNCounter) -> PNCounter {
        PNCounter(
            increments: increments.merging(other.increments, uniquingKeysWith: max),
            decrements: decrements.merging(other.decrements, uniquingKeysWith: max))
    }
}

/// An observed-remove set with add-wins semantics. Every `add` gets a new unique tag; `remove`
/// tombstones only the tags it has seen. An add made concurrently with a remove (on the other side of
/// a partition) carries a tag the remove never saw, so the element stays: add wins.
struct ORSet: Codable, Sendable, Equatable {
    private(set) var tags: [String: Set<Tag>] = [:]
    private(set) var removed: Set<Tag> = []

    var elements: [String] { tags.filter { !$0.value.subtracting(removed).isEmpty }.keys.sorted() }

    func contains(_ element: String) -> Bool { !(tags[element] ?? []).subtracting(removed).isEmpty }

    mutating func add(_ element: String, tag: Tag) { tags[element, default: []].insert(tag) }

    /// Removes what this replica has observed of `element`, nothing more.
    mutating func remove(_ element: String) { removed.formUnion(tags[element] ?? []) }

    func merged(with other: ORSet) -> ORSet {
        ORSet(tags: tags.merging(other.tags) { $0.union($1) }, removed: removed.union(other.removed))
    }
}

/// The naive baseline: a whole value with the time it was written; a merge keeps the later write
/// (ties broken by the writer's name) and drops the other one whole.
struct LWWRegister<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    private(set) var value: Value
    private(set) var timestamp: Int64
    private(set) var writer: String

    init(value: Value, timestamp: Int64 = 0, writer: String = "") {
        self.value = value
        self.timestamp = timestamp
        self.writer = writer
    }

    /// A local write: stamped with the wall clock, and never older than what it replaces.
    mutating func write(_ newValue: Value, now: Int64, by replica: String) {
        value = newValue
        timestamp = max(now, timestamp + 1)
        writer = replica
    }

    func merged(with other: LWWRegister) -> LWWRegister {
        (other.timestamp, other.writer) > (timestamp, writer) ? other : self
    }
}

extension Dictionary {
    /// Key-wise merge of two maps of mergeable values: a key present on one side only is kept as is.
    func mergedValues(with other: Self, _ merge: (Value, Value) -> Value) -> Self {
        merging(other) { merge($0, $1) }
    }
}
