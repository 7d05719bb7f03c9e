import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Resolves in-doubt transactions: every prepared transaction (`pg_prepared_xacts`) is committed if
/// the decision log says commit, and rolled back if it says abort. One without a decision that an
/// earlier (dead) run of the coordinator prepared — or that this run prepared more than 2 s ago — is
/// decided "abort" through the log first: if the coordinator recorded "commit" a moment earlier,
/// that stands instead.
///
/// Until the first sweep has found nothing left from earlier runs, the coordinator refuses new
/// transfers (they would queue on the in-doubt transactions' locks).
/// `twopc_recovery_seconds`: how long after this process started that took (what "resolved within
/// N s of the restart" measures);
/// `twopc_recovered_total{action="commit|rollback"}`.
final class RecoverySweep: Service, Sendable {
    let banks: [(name: String, db: LabPostgres)]
    let log: DecisionLog
    let incarnation: String
    let interval: Duration
    let logger: Logger
    private let recovered = Mutex(false)

    init(banks: [(name: String, db: LabPostgres)], log: DecisionLog, incarnation: String, interval: Duration, logger: Logger) {
        self.banks = banks
        self.log = log
        self.incarnation = incarnation
        self.interval = interval
        self.logger = logger
    }

    /// Whether a sweep has found nothing left from earlier runs (new transfers wait for it).
    var hasRecovered: Bool { recovered.withLock { $0 } }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.sweepUntilCancelled() }
    }

    private func sweepUntilCancelled() async {
        let started = ContinuousClock.now
        let recoveredIn = Gauge(label: "twopc_recovery_seconds")
        let resolved = { @Sendable (action: String) in Counter(label: "twopc_recovered_total", dimensions: [("action", action)]) }
        for action in ["commit", "rollback"] { resolved(action).increment(by: 0) }
        while !Task.isCancelled {
            do {
                let left = try await sweep(resolved)
                if !hasRecovered && left == 0 {
                    recovered.withLock { $0 = true }
                    recoveredIn.record((ContinuousClock.now - started).inSeconds)
                }
            } catch {
                logger.warning("recovery sweep failed: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Commits or rolls back one prepared transaction, as the decision log says (deciding "abort"
    /// first for one nobody will decide).
    private func resolve(
        _ gid: String, age: Double, decided: DecisionLog.Decision?, in bank: (name: String, db: LabPostgres),
        _ resolved: @Sendable (String) -> Counter
    ) async throws {
        let ours = gid.hasPrefix("xfer-\(incarnation)-")
        // A dead run's transaction, or one of ours that has stalled: decide it now. Recording
        // "abort" only wins if no commit was recorded first (then the commit stands).
        var decision = decided
        if decision == nil && (!ours || age > 2) { decision = try await log.record(gid, .abort) }
        if decision == .commit && (!ours || age > 1) {
            // Decided: finish phase two (a live run normally does it within the commit gap).
            do { try await bank.db.commitPrepared(gid) } catch  where LabPostgres.isUnknownPreparedTransaction(error) {}
            resolved("commit").increment()
            logger.info("recovery: committed \(gid) in \(bank.name)")
        } else if decision == .abort {
            // Nothing was committed anywhere: roll back.
            do { try await bank.db.rollbackPrepared(gid) } catch  where LabPostgres.isUnknownPreparedTransaction(error) {}
            resolved("rollback").increment()
            logger.info("recovery: rolled back \(gid) in \(bank.name)")
        }
    }

    /// One pass over both banks; how many transactions of earlier runs it could not resolve.
    private func sweep(_ resolved: @escaping @Sendable (String) -> Counter) async throws -> Int {
        var unresolved = 0
        for bank in banks {
            let prepared = try await bank.db.preparedTransactions(prefix: "xfer-")
            let decisions = try await log.decisions(prepared.map(\.gid))
            // Each on its own, all at once: one slow or busy transaction must not hold up the others.
            await withTaskGroup(of: Void.self) { group in
                for (gid, age) in prepared {
                    group.addTask {
                        do {
                            try await self.resolve(gid, age: age, decided: decisions[gid], in: bank, resolved)
                        } catch {
                            self.logger.warning("recovery: \(gid) in \(bank.name) stays in doubt for now: \(String(reflecting: error))")
                        }
                    }
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
