/// One replica's whole state: named counters and named sets. A replica applies its own clients'
/// operations to it, sends all of it to its peers (anti-entropy) and merges what its peers send.
/// `MERGE=lww` and `MERGE=crdt` hold the same data; they differ in what a merge keeps.
protocol ReplicaState: Codable, Sendable {
    init()
    /// A client's operation, applied on this replica (`now`: the wall clock in ms, `tag`: a new unique tag).
    mutating func apply(_ operation: ReplicaOperation, on replica: String, now: Int64, tag: Tag)
    /// What a peer sent merged into this state.
    mutating func merge(_ other: Self)
    func counter(_ name: String) -> Int
    func elements(of set: String) -> [String]
    var counterNames: [String] { get }
    var setNames: [String] { get }
}

enum ReplicaOperation: Sendable, Equatable {
    case add(counter: String, delta: Int)
    case insert(set: String, element: String)
    case remove(set: String, element: String)
}

extension ReplicaState {
    /// What a client can observe, as one string, e.g. `likes-0=12;likes-1=9|cart={c,e}`, to compare replicas at a glance.
    var digest: String {
        let counters = counterNames.sorted().map { "\($0)=\(counter($0))" }.joined(separator: ";")
        let sets = setNames.sorted().map { "\($0)={\(elements(of: $0).joined(separator: ","))}" }.joined(separator: ";")
        return counters + "|" + sets
    }
}

/// Before: every counter and every set is one last-writer-wins register. An increment reads the
/// local value, adds, and stamps the result with the wall clock; the merge keeps the newer stamp, so
/// the increments (and set changes) of the other writer since the last sync vanish.
struct LastWriterWinsState: ReplicaState {
    var counters: [String: LWWRegister<Int>] = [:]
    var sets: [String: LWWRegister<[String]>] = [:]

    mutating func apply(_ operation: ReplicaOperation, on replica: String, now: Int64, tag: Tag) {
        switch operation {
        case .add(let name, let delta):
            var register = counters[name] ?? LWWRegister(value: 0)
            register.write(register.value + delta, now: now, by: replica)
            counters[name] = register
        case .insert(let name, let element):
            var register = sets[name] ?? LWWRegister(value: [])
            register.write(Array(Set(register.value + [element])).sorted(), now: now, by: replica)
            sets[name] = register
        case .remove(let name, let element):
            var register = sets[name] ?? LWWRegister(value: [])
            register.write(register.value.filter { $0 != element }, now: now, by: replica)
            sets[name] = register
        }
    }

    mutating func merge(_ other: LastWriterWinsState) {
        counters = counters.mergedValues(with: other.counters) { $0.merged(with: $1) }
        sets = sets.mergedValues(with: other.sets) { $0.merged(with: $1) }
    }

    func counter(_ name: String) -> Int { counters[name]?.value ?? 0 }
    func elements(of set: String) -> [String] { sets[set]?.value ?? [] }
    var counterNames: [String] { Array(counters.keys) }
    var setNames: [String] { Array(sets.keys) }
}

/// After: every counter is a PN-counter and every set an OR-set; the merge keeps every replica's
/// increments and every add a remove has not observed.
struct ConflictFreeState: ReplicaState {
    var counters: [String: PNCounter] = [:]
    var sets: [String: ORSet] = [:]

    mutating func apply(_ operation: ReplicaOperation, on replica: String, now: Int64, tag: Tag) {
        switch operation {
        case .add(let name, let delta): counters[name, default: PNCounter()].add(delta, on: replica)
        case .insert(let name, let element): sets[name, default: ORSet()].add(element, tag: tag)
        case .remove(let name, let element): sets[name, default: ORSet()].remove(element)
        }
    }

    mutating func merge(_ other: ConflictFreeState) {
        counters = counters.mergedValues(with: other.counters) { $0.merged(with: $1) }
        sets = sets.mergedValues(with: other.sets) { $0.merged(with: $1) }
    }

    func counter(_ name: String) -> Int { counters[name]?.value ?? 0 }
    func elements(of set: String) -> [String] { sets[set]?.elements ?? [] }
    var counterNames: [String] { Array(counters.keys) }
    var setNames: [String] { Array(sets.keys) }
}
