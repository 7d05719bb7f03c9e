import Foundation
import LabKit

/// KEY IDEA: a transfer between two databases is two transactions, and a coordinator that dies between
/// them leaves one done and the other not: money debited in bank A, never credited in bank B.
/// Two-phase commit makes the banks *vote* first — `PREPARE TRANSACTION` writes the change durably and
/// keeps its row locks, without committing — and commits only when both voted yes. That moves the
/// danger instead of removing it: a coordinator that dies after the votes leaves both banks *in doubt*,
/// holding locks that block every other writer of those rows, and only the coordinator knows whether
/// to commit. So the decision must outlive it: written to a durable log before phase two, and read
/// back by a recovery sweep (at start and every SWEEP_MS) that commits or rolls back every prepared
/// transaction it finds (no decision = abort: nothing was committed without one).
enum TransferProtocol: String, Sendable, CaseIterable {
    /// Commit on A, then (after the gap) commit on B.
    case independent
    /// Prepare on A and B (the votes), then (after the gap) COMMIT PREPARED on both. No log.
    case twoPhase = "2pc"
    /// 2PC + the decision written to the coordinator's log before phase two + the recovery sweep.
    case twoPhaseWithRecovery = "2pc-recovery"
}

/// One transfer of 1 from account `from` in bank A to account `to` in bank B.
struct Transfer: Sendable {
    let id: String
    let from: Int
    let to: Int

    /// Ids reach SQL as literals in PREPARE TRANSACTION: letters, digits and '-' only.
    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}

enum TransferOutcome: String, Sendable {
    case committed
    /// A bank voted no (a lock wait ran out, …) and nothing was changed anywhere.
    case aborted
    /// Bank A committed, bank B did not (independent commits): the atomicity violation itself.
    case halfCommitted = "half_committed"
}

/// The statements of each bank's half, and the protocols that run them.
struct TransferExecutor: Sendable {
    let protocolChoice: TransferProtocol
    let bankA: LabPostgres
    let bankB: LabPostgres
    let log: DecisionLog?
    /// The coordinator's step between the phases (in `independent`, between the two commits): a
    /// round trip to the far bank, bookkeeping. The window in which a crash does its damage.
    let commitGap: Duration
    let lockTimeoutMs: Int
    /// This process's run: prefixes every global transaction id it prepares, so that recovery can
    /// tell its own in-flight transactions from those a dead predecessor left.
    let incarnation: String

    func gid(_ transfer: Transfer) -> String { "xfer-\(incarnation)-\(transfer.id)" }

    func run(_ transfer: Transfer) async throws -> TransferOutcome {
        switch protocolChoice {
        case .independent: try await independent(transfer)
        case .twoPhase, .twoPhaseWithRecovery: try await twoPhase(transfer)
        }
    }

    private func debit(_ tx: LabPostgres.Transaction, _ transfer: Transfer) async throws {
        try await tx.query("SET LOCAL lock_timeout = \(unescaped: String(lockTimeoutMs))")
        try await tx.query("UPDATE accounts SET balance = balance - 1 WHERE id = \(transfer.from)")
        try await tx.query("INSERT INTO ledger (entry_id, account, amount) VALUES (\(transfer.id), \(transfer.from), -1)")
    }

    private func credit(_ tx: LabPostgres.Transaction, _ transfer: Transfer) async throws {
        try await tx.query("SET LOCAL lock_timeout = \(unescaped: String(lockTimeoutMs))")
        try await tx.query("UPDATE accounts SET balance = balance + 1 WHERE id = \(transfer.to)")
        try await tx.query("INSERT INTO ledger (entry_id, account, amount) VALUES (\(transfer.id), \(transfer.to), 1)")
    }

    // BEFORE: two commits. Between them, A's debit is final and B's credit does not exist yet.
    private func independent(_ transfer: Transfer) async throws -> TransferOutcome {
        try await bankA.transaction { try await debit($0, transfer) }
        try await Task.sleep(for: commitGap)
        do {
            try await bankB.transaction { try await credit($0, transfer) }
        } catch {
            return .halfCommitted // nothing undoes A's debit
        }
        return .committed
    }

    // 2PC: both vote (prepare) first; commit only if both said yes.
    private func twoPhase(_ transfer: Transfer) async throws -> TransferOutcome {
        let gid = gid(transfer)
        // Phase one: the votes. A "no" (an error) rolls back whatever was prepared.
        do {
            try await bankA.prepareTransaction(gid) { try await debit($0, transfer) }
        } catch {
            try? await log?.record(gid, .abort)
            return .aborted
        }
        do {
            try await bankB.prepareTransaction(gid) { try await credit($0, transfer) }
        } catch {
            try? await log?.record(gid, .abort)
            try? await bankA.rollbackPrepared(gid)
            return .aborted
        }
        // The decision: durable before anything is committed (2pc-recovery), or only in this process's
        // memory (2pc). A decision that cannot be written is no decision: abort.
        do {
            // The log may already say abort: recovery gave up on this transfer first. Then abort.
            if let log, try await log.record(gid, .commit) != .commit { throw DecidedAbort() }
        } catch {
            try? await bankA.rollbackPrepared(gid)
            try? await bankB.rollbackPrepared(gid)
            return .aborted
        }
        try await Task.sleep(for: commitGap)
        // Phase two. Once decided, never undone: if a commit fails here, recovery finishes it.
        try await bankA.commitPrepared(gid)
        try await bankB.commitPrepared(gid)
        try? await log?.markDone(gid)
        return .committed
    }
}

/// Recovery recorded "abort" for this transfer before the coordinator could record "commit".
struct DecidedAbort: Error {}
