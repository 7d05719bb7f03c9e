import LabKit

/// Week 51: timeout budgets.
///
///     load generator → edge → orders → pricing → ledger   GET /quote/{id} (40 ms of ledger work)
///                                                        GET /statement/{id} (800 ms of ledger work)
///
/// Every request carries its client's budget (`x-request-timeout-ms: 500`). `DEADLINES=on` turns it
/// into a deadline every hop spends from and checks before it calls on (and the ledger before it
/// works); `CANCEL_ON_DISCONNECT=on` makes every hop stop when its caller hangs up.
enum TimeoutBudgetsLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "edge", "GET /quote|/statement/{id}: the entry hop, calls orders (ORDERS_URL)",
            build: { try await BudgetHop.build($0, next: "orders", isEdge: true) }),
        .init(
            "orders", "the second hop, calls pricing (PRICING_URL)",
            build: { try await BudgetHop.build($0, next: "pricing", isEdge: false) }),
        .init(
            "pricing", "the third hop, calls ledger (LEDGER_URL)", build: { try await BudgetHop.build($0, next: "ledger", isEdge: false) }),
        .init("ledger", "the leaf: LEDGER_WORKERS workers, QUOTE_MS / STATEMENT_MS of work, FIFO queue", build: LedgerLeaf.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "edge": BudgetHopSettings.knobs, "orders": BudgetHopSettings.knobs, "pricing": BudgetHopSettings.knobs, "ledger": LedgerLeaf.knobs,
    ]
}
