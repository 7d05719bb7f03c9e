import LabKit

/// Week 38: exactly-once processing (effectively once).
///
///     load → producer POST /accounts/{account}/credits ─┬─ before: INSERT payment, then publish
///                                                        └─ after: INSERT payment + outbox row (one tx) → relay publishes
///            RabbitMQ `payments` → consumer (a supervisor) → WORKERS worker processes, each:
///                 PROCESSING=effect-then-ack | ack-then-effect | inbox  (credit the account in PostgreSQL)
///                 on CRASH_PERCENT % of the payments: SIGKILL itself between the effect and the ack
///            auditor: every accepted payment against every committed effect (SQL), the drain
///
/// Start with `CreditConsumer.swift` (the lesson), then `WorkerSupervisor.swift` (the crashes are real
/// processes dying) and `PaymentAuditor.swift` (how duplicates and losses are counted).
enum ExactlyOnceProcessingLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "producer",
            "POST /accounts/{account}/credits: records a payment and sends its message (OUTBOX=off: publish; on: outbox + relay)",
            build: PaymentProducer.build),
        .init(
            "consumer", "supervises WORKERS consumer-worker processes and starts a new one when one dies; GET /workers",
            build: WorkerSupervisor.build),
        .init(
            "consumer-worker",
            "one consumer process (started by consumer, not by labctl): applies payments in PROCESSING order, crashes on CRASH_PERCENT %",
            build: ConsumerWorker.build),
        .init(
            "auditor", "GET /audit: accepted payments against committed effects (duplicated, unapplied/lost, balance error), drained",
            build: PaymentAuditor.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "producer": PaymentProducer.knobs,
        "consumer": WorkerSupervisor.knobs,
        "consumer-worker": ConsumerWorker.knobs,
        "auditor": PaymentAuditor.knobs,
    ]
}
