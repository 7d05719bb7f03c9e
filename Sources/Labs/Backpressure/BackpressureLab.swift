import LabKit

/// Week 18: backpressure.
///
///     load → producer POST /orders → RabbitMQ queue `orders` → consumer (WORK_MS per order)
///
/// The producer publishes every order with publisher confirms; the consumer works through them one
/// at a time. `QUEUE_MAX_LENGTH` (0: unbounded) bounds the queue with `x-overflow: reject-publish`:
/// a full queue nacks the publish and the producer answers 503 with Retry-After.
enum BackpressureLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "producer", "POST /orders: publishes the order (confirmed: 202; refused by a full queue: 503 + Retry-After); GET /ledger",
            build: OrderProducer.build),
        .init(
            "consumer", "consumes `orders`, WORK_MS per order; end-to-end latency; POST /audit counts lost orders",
            build: OrderConsumer.build),
    ]

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "producer": OrderQueue.knobs + LabService.rabbitMQKnobs,
        "consumer": OrderQueue.knobs + OrderConsumer.knobs + LabService.rabbitMQKnobs,
    ]
}
