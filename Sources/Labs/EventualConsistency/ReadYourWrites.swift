import LabKit
import Metrics
import ServiceLifecycle
import Synchronization

/// How a read that follows the reader's own write is served.
enum ReadConsistency: String, Sendable, CaseIterable {
    /// From the standby at once: whatever it has replayed so far (maybe not the write yet).
    case eventual
    /// From the standby once it has replayed the write (its LSN), waiting at most a bound, then
    /// from the primary.
    case readYourWrites = "read-your-writes"
}

/// A WAL position: `16/B374D848` is (0x16 << 32) | 0xB374D848.
struct LSN: Comparable, Sendable {
    let value: UInt64

    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 8 }),
            let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16)
        else { return nil }
        value = high << 32 | low
    }

    static func < (a: LSN, b: LSN) -> Bool { a.value < b.value }
}

/// Read-your-writes over asynchronous replication: a write answers with the primary's WAL position
/// after its commit (`pg_current_wal_insert_lsn()`, at or past the commit record); a read carrying
/// that LSN is served by the standby only once it has replayed that far, and by the primary if that
/// takes longer than `maxWait`. One watcher asks the standby for `pg_last_wal_replay_lsn()` every
/// `pollInterval` and wakes the readers it has caught up with — one query, however many wait.
final class ReadYourWrites: Service, Sendable {
    let standby: LabPostgres
    let maxWait: Duration
    let pollInterval: Duration
    private let replayed = Mutex<LSN?>(nil)

    init(standby: LabPostgres, maxWait: Duration, pollInterval: Duration) {
        self.standby = standby
        self.maxWait = maxWait
        self.pollInterval = pollInterval
    }

    enum Source: String { case standby, primary }

    /// Where a read with (or without) a minimum LSN goes, under `consistency`.
    func source(for lsn: LSN?, _ consistency: ReadConsistency) async -> Source {
        guard consistency == .readYourWrites, let lsn else { return .standby }
        let start = ContinuousClock.now
        let deadline = start + maxWait
        var caughtUp = false
        while true {
            if let replayed = replayed.withLock({ $0 }), replayed >= lsn {
                caughtUp = true
                break
            }
            guard ContinuousClock.now + pollInterval < deadline else { break }
            try? await Task.sleep(for: pollInterval)
        }
        Timer(label: "ryw_wait_seconds", dimensions: [("outcome", caughtUp ? "replayed" : "fell_back")], preferredDisplayUnit: .seconds)
            .recordInterval(since: start)
        return caughtUp ? .standby : .primary
    }

    /// The watcher: the standby's replay position, every `pollInterval`.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let row = try? await self.standby.query("SELECT pg_last_wal_replay_lsn()::text").first
                if let text = (try? row?.decode(String?.self)) ?? nil, let position = LSN(text) {
                    self.replayed.withLock { $0 = position }
                }
                try? await Task.sleep(for: self.pollInterval)
            }
        }
    }
}
