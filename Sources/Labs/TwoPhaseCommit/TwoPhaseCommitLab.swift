import LabKit

/// Week 41: two-phase commit.
///
///     load generator → client POST /transfers/{id} → coordinator → bank-a, bank-b (two PostgreSQL clusters)
///                      client POST /deposits/{id}  → bank-a directly (another writer of the same rows)
///     auditor: every transfer id in one bank's ledger but not the other's (an atomicity violation)
///
/// `PROTOCOL` (coordinator): `independent` (two commits), `2pc` (PREPARE TRANSACTION on both, then
/// COMMIT PREPARED; no log, no recovery), `2pc-recovery` (+ a durable decision log and a sweeper that
/// resolves in-doubt transactions).
enum TwoPhaseCommitLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "client", "POST /transfers/{id} (→ coordinator), POST /deposits/{id} (UPDATE on bank A with a lock timeout)",
            build: BankClient.build),
        .init(
            "coordinator", "POST /transfers: debit on bank A, credit on bank B; PROTOCOL=independent|2pc|2pc-recovery, COMMIT_GAP_MS",
            build: Coordinator.build),
        .init("auditor", "every 500 ms: transfers in one ledger but not the other, prepared transactions in doubt", build: Auditor.build),
    ]
    static let knobs: [String: [any LabKnob]] = [
        "client": BankClient.knobs, "coordinator": Coordinator.knobs, "auditor": Auditor.knobs,
    ]
}
