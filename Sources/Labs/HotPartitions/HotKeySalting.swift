import Metrics
import Synchronization

/// The fix for a hot READ key: store it under SALT_COPIES keys on as many different shards, and let
/// each read pick one copy at random, so the key's traffic is split evenly across shards. Copy 0 is
/// the key itself on its home shard; copy i is `key~n`, with n the first suffix whose hash lands on a
/// shard no earlier copy uses.
///
/// The price is paid by writes: every write goes to every copy (write amplification = SALT_COPIES),
/// and a read may see a copy a concurrent write has not reached yet (each copy converges on the
/// newest version: the shards keep the highest `x-version`). Salting a key takes two steps, in this
/// order: writes start going to every copy, then the copies are filled from the home shard, and only
/// then are reads spread over them.
final class HotKeySalting: Sendable {
    struct Copy: Sendable {
        let key: String
        let shard: Int
    }

    private struct State {
        /// Keys whose writes go to every copy (salting started).
        var writes: [String: [Copy]] = [:]
        /// Keys whose reads are spread over the copies (the copies are filled).
        var reads: [String: [Copy]] = [:]
    }

    let copies: Int
    private let table: ShardTable
    private let state = Mutex(State())
    private let salted = Gauge(label: "hot_keys_salted")

    init(table: ShardTable, copies: Int) {
        self.table = table
        self.copies = min(copies, table.count)
        salted.record(0)
    }

    /// Where `key`'s copies live: distinct shards, deterministic (any router finds the same ones).
    func placement(of key: String) -> [Copy] {
        var result = [Copy(key: key, shard: table.shard(of: key))]
        var suffix = 1
        while result.count < copies {
            let candidate = "\(key)~\(suffix)"
            let shard = table.shard(of: candidate)
            if !result.contains(where: { $0.shard == shard }) { result.append(Copy(key: candidate, shard: shard)) }
            suffix += 1
        }
        return result
    }

    /// A read: one copy at random if the key is salted, nil otherwise (read the home shard).
    func readCopy(of key: String) -> Copy? { state.withLock { $0.reads[key]?.randomElement() } }

    /// A write: every copy if salting of the key has started, nil otherwise (the home shard only).
    func writeCopies(of key: String) -> [Copy]? { state.withLock { $0.writes[key] } }

    var saltedKeys: [String] { state.withLock { $0.reads.keys.sorted() } }

    /// Starts salting `key`: writes fan out from now on, the copies are filled from the home shard,
    /// then reads spread. False if the fill failed (the home shard is overloaded: the next window
    /// tries again; writes keep fanning out meanwhile).
    func salt(_ key: String) async -> Bool {
        let placement = placement(of: key)
        let started = state.withLock { state -> Bool in
            guard state.reads[key] == nil else { return false }
            state.writes[key] = placement
            return true
        }
        guard started else { return true }
        // The home shard may be the overloaded one: the fill read goes ahead of its queue.
        guard case .value(let value, let version) = await table.get(key, on: placement[0].shard, urgent: true) else { return false }
        let filled = await withTaskGroup(of: Bool.self) { group in
            for copy in placement.dropFirst() {
                group.addTask { await self.table.put(copy.key, value, version: version, on: copy.shard).succeeded }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        guard filled else { return false }
        let count = state.withLock { state in
            state.reads[key] = placement
            return state.reads.count
        }
        salted.record(count)
        return true
    }

    /// Stops salting `key` (it cooled down): reads and writes go to the home shard, which has had
    /// every write. The other copies stay behind, stale, until a new salting refills them.
    func unsalt(_ key: String) {
        let count = state.withLock { state in
            state.reads[key] = nil
            state.writes[key] = nil
            return state.reads.count
        }
        salted.record(count)
    }
}
