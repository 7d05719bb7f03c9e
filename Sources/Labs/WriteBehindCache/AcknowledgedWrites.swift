import Synchronization

/// The writer's log of every write the api acknowledged: per key, the versions it answered with.
/// This is the truth the audit holds the database to.
final class AcknowledgedWrites: Sendable {
    private let versions = Mutex<[String: [Int]]>([:])
    private let sent = Atomic(0)

    /// Writes sent to the api and not answered yet: the audit waits until there are none.
    var inFlight: Int { sent.load(ordering: .relaxed) }
    func sending() { sent.add(1, ordering: .relaxed) }
    func answered() { sent.subtract(1, ordering: .relaxed) }

    func record(key: String, version: Int) {
        versions.withLock { $0[key, default: []].append(version) }
    }

    var keys: [String] { versions.withLock { Array($0.keys) } }

    /// What the database and the cache hold after the queue drained, against the log:
    /// - an acknowledged write is **lost** when PostgreSQL holds an older version of its key (or no
    ///   row): its value never reached the database and no later write replaced it there. (A write
    ///   whose key the database holds at a higher version was superseded, which is what coalescing
    ///   is allowed to do.)
    /// - a key **diverges** when the cache and the database hold different versions of it.
    func audit(database: [String: (value: String, version: Int)], cache: [String: Int]) -> Audit {
        versions.withLock { log in
            var audit = Audit()
            for (key, acknowledged) in log {
                let stored = database[key]?.version ?? 0
                let lost = acknowledged.filter { $0 > stored }.count
                audit.acknowledgedWrites += acknowledged.count
                audit.lostWrites += lost
                if lost > 0 { audit.keysLosingWrites += 1 }
                if cache[key] != database[key]?.version { audit.divergentKeys += 1 }
            }
            audit.keys = log.count
            return audit
        }
    }

    struct Audit: Sendable {
        var keys = 0
        var acknowledgedWrites = 0
        var lostWrites = 0
        var keysLosingWrites = 0
        var divergentKeys = 0
    }
}
