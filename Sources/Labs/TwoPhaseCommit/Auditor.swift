import LabKit
import Metrics
import ServiceLifecycle

/// The judge: every 500 ms it reads both banks' ledgers and counts what the coordinator cannot see.
/// - `atomicity_violations{kind="debit_without_credit|credit_without_debit"}`: transfer ids in one
///   bank's committed ledger and not the other's (mid-flight transfers count for a moment; at the end
///   of a run with no load, what remains is permanent);
/// - `in_doubt_transactions{bank}`: transactions prepared and never resolved (`pg_prepared_xacts`),
///   each holding its row locks.
enum Auditor {
    static let knobs: [any LabKnob] = LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        let bankA = try service.postgres(urlVariable: "BANK_A_URL", poolName: "bank-a")
        let bankB = try service.postgres(urlVariable: "BANK_B_URL", poolName: "bank-b")
        service.addService(LedgerAudit(bankA: bankA, bankB: bankB))
    }
}

struct LedgerAudit: Service {
    let bankA: LabPostgres
    let bankB: LabPostgres

    func run() async throws {
        let violations = { @Sendable (kind: String) in Gauge(label: "atomicity_violations", dimensions: [("kind", kind)]) }
        let inDoubt = { @Sendable (bank: String) in Gauge(label: "in_doubt_transactions", dimensions: [("bank", bank)]) }
        let transfers = Gauge(label: "transfers_in_both_ledgers")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let debits = try? await transferIDs(bankA), let credits = try? await transferIDs(bankB) {
                    violations("debit_without_credit").record(debits.subtracting(credits).count)
                    violations("credit_without_debit").record(credits.subtracting(debits).count)
                    transfers.record(debits.intersection(credits).count)
                }
                for (name, db) in [("bank-a", bankA), ("bank-b", bankB)] {
                    if let prepared = try? await db.preparedTransactions() { inDoubt(name).record(prepared.count) }
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// The committed transfers' ids (deposits start with "d", transfers with "t").
    private func transferIDs(_ db: LabPostgres) async throws -> Set<String> {
        Set(try await db.query("SELECT entry_id FROM ledger WHERE entry_id LIKE 't%'").map { try $0.decode(String.self) })
    }
}
