import Logging
import ServiceLifecycle
import Synchronization

/// A service that consumes one queue for as long as it runs: `handler` gets every delivery (in
/// a consumer span, see `RabbitMQConsumer.process`), and a consumer that fails (the broker went
/// away, the connection broke) is started again after a short pause.
///
/// `pause()` stops consuming (the broker requeues every unacknowledged delivery) until `resume()`:
/// an audit can then count the queue without it changing under its feet.
public final class RabbitMQConsumingService: Service, Sendable {
    public let queue: String
    let client: RabbitMQClient
    let prefetch: Int
    let concurrency: Int
    let logger: Logger
    let handler: @Sendable (RabbitMQDelivery) async throws -> Void
    private let consumer = Mutex<RabbitMQConsumer?>(nil)
    private let paused = Atomic<Bool>(false)

    public init(
        client: RabbitMQClient, queue: String, prefetch: Int, concurrency: Int = 1, logger: Logger,
        handler: @escaping @Sendable (RabbitMQDelivery) async throws -> Void
    ) {
        self.client = client
        self.queue = queue
        self.prefetch = prefetch
        self.concurrency = concurrency
        self.logger = logger
        self.handler = handler
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if self.paused.load(ordering: .relaxed) {
                    try? await Task.sleep(for: .milliseconds(50))
                    continue
                }
                do {
                    let current = try await self.client.consume(self.queue, prefetch: self.prefetch)
                    self.consumer.withLock { $0 = current }
                    if self.paused.load(ordering: .relaxed) { await current.stop() } // paused meanwhile
                    try await current.process(concurrency: self.concurrency, self.handler)
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.warning("consuming \(self.queue) stopped (starting again): \(error)")
                    try? await Task.sleep(for: .milliseconds(200))
                }
                self.consumer.withLock { $0 = nil }
            }
        }
    }

    /// Stops consuming; returns once the consumer's connection is closed and the handlers that
    /// were running have returned (an ack the broker has seen is then in the handler's books too).
    public func pause() async {
        paused.store(true, ordering: .relaxed)
        await consumer.withLock { $0 }?.stop()
        // `run` forgets the consumer once `process` has returned, i.e. after its last handler.
        for _ in 0..<500 where consumer.withLock({ $0 }) != nil {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    public func resume() { paused.store(false, ordering: .relaxed) }
}
