import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle

/// Resolves in-doubt transactions: every prepared transaction (`pg_prepared_xacts`) is committed if
/// the decision log says commit, and rolled back if it has no decision and was prepared by an
/// earlier run of the coordinator (that run is dead: nobody else will ever decide it). The current
/// run's own undecided transactions are still in flight and left alone (unless they are older than
/// 10 s: no transfer waits that long).
///
/// `twopc_recovery_seconds`: how long after this process started the first sweep found nothing left
/// from earlier runs (what "resolved within N s of the restart" measures);
/// `twopc_recovered_total{action="commit|rollback"}`.
struct RecoverySweep: Service {
    let banks: [(name: String, db: LabPostgres)]
    let log: DecisionLog
    let incarnation: String
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await sweepUntilCancelled() }
    }

    private func sweepUntilCancelled() async {
        let started = ContinuousClock.now
        let recoveredIn = Gauge(label: "twopc_recovery_seconds")
        let resolved = { @Sendable (action: String) in Counter(label: "twopc_recovered_total", dimensions: [("action", action)]) }
        for action in ["commit", "rollback"] { resolved(action).increment(by: 0) }
        var recovered = false
        while !Task.isCancelled {
            do {
                let left = try await sweep(resolved)
                if !recovered && left == 0 {
                    recovered = true
                    recoveredIn.record((ContinuousClock.now - started).inSeconds)
                }
            } catch {
                logger.warning("recovery sweep failed: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass over both banks; how many transactions of earlier runs it could not resolve.
    private func sweep(_ resolved: @Sendable (String) -> Counter) async throws -> Int {
        var unresolved = 0
        for bank in banks {
            for (gid, age) in try await bank.db.preparedTransactions(prefix: "xfer-") {
                let ours = gid.hasPrefix("xfer-\(incarnation)-")
                let decision = try await log.decision(gid)
                if decision == .commit && (!ours || age > 2) {
                    // Decided: finish phase two (a live run normally does it within the commit gap).
                    do { try await bank.db.commitPrepared(gid) } catch where LabPostgres.isUnknownPreparedTransaction(error) {}
                    resolved("commit").increment()
                    logger.info("recovery: committed \(gid) in \(bank.name)")
                } else if decision == .abort || (decision == nil && (!ours || age > 10)) {
                    // Aborted, or never decided by a dead run (or by this run, long after any transfer
                    // gave up): nothing was committed anywhere, so roll back.
                    do { try await bank.db.rollbackPrepared(gid) } catch where LabPostgres.isUnknownPreparedTransaction(error) {}
                    resolved("rollback").increment()
                    logger.info("recovery: rolled back \(gid) in \(bank.name)")
                }
            }
        }
        // What is left from earlier runs after this pass (normally nothing).
        for bank in banks {
            unresolved += try await bank.db.preparedTransactions(prefix: "xfer-").filter { !$0.gid.hasPrefix("xfer-\(incarnation)-") }.count
        }
        return unresolved
    }
}
