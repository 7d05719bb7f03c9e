import Logging
import Metrics
import ServiceLifecycle

/// Polls the depth of some queues (a passive queue.declare each) every `interval` and records
/// `rabbitmq_client_queue_messages{queue}` (ready messages) and `rabbitmq_client_queue_consumers{queue}`.
/// The broker's own metrics (`rabbitmq_queue_messages_ready`) say the same a little later: they
/// are refreshed once a second and then scraped.
public struct RabbitMQQueueDepthMonitor: Service {
    let client: RabbitMQClient
    let queues: [String]
    let interval: Duration
    let logger: Logger

    public init(client: RabbitMQClient, queues: [String], interval: Duration = .milliseconds(500), logger: Logger) {
        self.client = client
        self.queues = queues
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let gauges = Dictionary(
            uniqueKeysWithValues: queues.map { queue in
                (
                    queue,
                    (
                        messages: Gauge(label: "rabbitmq_client_queue_messages", dimensions: [("queue", queue)]),
                        consumers: Gauge(label: "rabbitmq_client_queue_consumers", dimensions: [("queue", queue)])
                    )
                )
            })
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for queue in queues {
                    do {
                        let depth = try await client.queueDepth(queue)
                        gauges[queue]?.messages.record(depth.messages)
                        gauges[queue]?.consumers.record(depth.consumers)
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.debug("queue depth of \(queue) unknown (retrying): \(error)")
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
