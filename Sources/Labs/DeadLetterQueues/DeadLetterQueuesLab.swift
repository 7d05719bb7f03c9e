import LabKit

/// Week 17: dead-letter queues.
///
///     load → producer POST /tasks → RabbitMQ `tasks` → worker (WORK_MS per task)
///                                          └─ after: over the delivery limit → `tasks.dlx` → `tasks.dlq`
///
/// One task in every POISON_EVERY (set at run time: `poison_every`) can never be processed. The
/// worker nacks every failure back to the queue. `DLQ=off`: a classic queue redelivers it forever;
/// `DLQ=on`: a quorum queue with `x-delivery-limit` dead-letters it after DELIVERY_LIMIT returns,
/// and `POST /dlq/replay` on the worker moves the dead letters back once the bug is fixed.
/// Both services keep a ledger of task ids in Redis (published, processed).
enum DeadLetterQueuesLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "producer", "POST /tasks: publishes a task (one in poison_every is poison) with confirms; records it in the ledger",
            build: TaskProducer.build),
        .init(
            "worker", "consumes `tasks` (nack + requeue on failure); GET /dlq, POST /dlq/replay; the ledger's gauges",
            build: TaskWorker.build),
    ]

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "producer": TaskQueues.knobs + LabService.rabbitMQKnobs + LabService.redisKnobs,
        "worker": TaskQueues.knobs + TaskWorker.knobs + LabService.rabbitMQKnobs + LabService.redisKnobs,
    ]
}
