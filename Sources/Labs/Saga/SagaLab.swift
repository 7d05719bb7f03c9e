import LabKit

/// Week 29: saga.
///
///     load generator → orchestrator POST /orders/{id} → inventory (reserve) → payment (capture) → shipping (schedule)
///                                                       ← compensations in reverse: cancel, refund, release
///     auditor: every order whose participants disagree (stock held or money taken, no completed order)
enum SagaLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "orchestrator", "POST /orders/{id}: the saga; SAGA=memory|log (saga log, keyed retries, recovery sweep)",
            build: SagaOrchestrator.build),
        .init(
            "inventory", "POST /steps/reserve|release {order}: stock reservations",
            build: { try await SagaParticipant.build($0, .inventory) }),
        .init(
            "payment", "POST /steps/capture|refund {order}: payments; SLOW_RATE answers late (after committing)",
            build: { try await SagaParticipant.build($0, .payment) }),
        .init(
            "shipping", "POST /steps/schedule|cancel {order}: shipments; FAIL_RATE refuses",
            build: { try await SagaParticipant.build($0, .shipping) }),
        .init("auditor", "reconciliation: orders whose participants disagree (invariant_violations)", build: SagaAuditor.build),
    ]
    static let knobs: [String: [any LabKnob]] = [
        "orchestrator": SagaOrchestrator.knobs, "inventory": SagaParticipant.knobs, "payment": SagaParticipant.knobs,
        "shipping": SagaParticipant.knobs, "auditor": SagaAuditor.knobs,
    ]
}
