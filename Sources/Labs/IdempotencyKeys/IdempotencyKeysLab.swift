import LabKit

/// Week 13: idempotency keys.
///
///     client POST /checkout/{cart} → payments POST /charges (Idempotency-Key: <payment intent id>)
///
/// The client makes one payment intent per checkout and retries the charge on timeouts and 5xx, with a
/// hedged (concurrent) duplicate when an answer is slow. `payments` sometimes loses its answer after the
/// charge is committed (`lose_response_rate`). `IDEMPOTENCY=off|on` on payments: ignore the key, or
/// store it in PostgreSQL with the response, serialise concurrent duplicates and replay the answer.
enum IdempotencyKeysLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "client", "POST /checkout/{cart}: one payment intent, POST /charges with retries and a hedge (PAYMENTS_URL)",
            build: CheckoutClient.build),
        .init(
            "payments", "POST /charges: charges a card and records it in PostgreSQL; IDEMPOTENCY=off|on; GET /stats",
            build: PaymentsService.build),
    ]
}
