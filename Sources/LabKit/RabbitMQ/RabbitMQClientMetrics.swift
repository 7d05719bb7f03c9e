import Metrics

/// The client's swift-metrics instruments. Consumer counters are created at 0 when the consumer
/// starts, so `increase()` over a phase sees every delivery from the first one.
struct RabbitMQClientMetrics: Sendable {
    let factory: any MetricsFactory

    func published(_ destination: String, count: Int) {
        Counter(label: "rabbitmq_client_published_total", dimensions: [("destination", destination)], factory: factory)
            .increment(by: count)
    }

    func confirmed(_ destination: String, _ outcomes: [RabbitMQPublishOutcome], duration: Duration) {
        for label in ["ack", "nack", "returned"] {
            let count = outcomes.filter { $0.label == label }.count
            guard count > 0 else { continue }
            confirms(destination, label).increment(by: count)
        }
        Timer(label: "rabbitmq_client_publish_duration_seconds", dimensions: [("destination", destination)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    func publishFailed(_ destination: String, _ error: Error) {
        confirms(destination, (error as? RabbitMQError)?.outcomeLabel ?? "error").increment()
    }

    private func confirms(_ destination: String, _ outcome: String) -> Counter {
        Counter(
            label: "rabbitmq_client_publish_confirms_total", dimensions: [("destination", destination), ("outcome", outcome)],
            factory: factory)
    }

    /// The four counters of one consumed queue.
    struct Consumer: Sendable {
        let delivered: Counter
        let redelivered: Counter
        let acked: Counter
        let nackedRequeue: Counter
        let nackedDrop: Counter

        func settled(_ settlement: RabbitMQSettlement) {
            switch settlement {
            case .ack: acked.increment()
            case .nack(let requeue), .reject(let requeue): (requeue ? nackedRequeue : nackedDrop).increment()
            }
        }
    }

    func consumer(_ queue: String) -> Consumer {
        let dimensions = [("queue", queue)]
        let consumer = Consumer(
            delivered: Counter(label: "rabbitmq_client_delivered_total", dimensions: dimensions, factory: factory),
            redelivered: Counter(label: "rabbitmq_client_redelivered_total", dimensions: dimensions, factory: factory),
            acked: Counter(label: "rabbitmq_client_acked_total", dimensions: dimensions, factory: factory),
            nackedRequeue: Counter(label: "rabbitmq_client_nacked_total", dimensions: dimensions + [("requeue", "true")], factory: factory),
            nackedDrop: Counter(label: "rabbitmq_client_nacked_total", dimensions: dimensions + [("requeue", "false")], factory: factory))
        for counter in [consumer.delivered, consumer.redelivered, consumer.acked, consumer.nackedRequeue, consumer.nackedDrop] {
            counter.increment(by: 0)
        }
        return consumer
    }
}
