import Foundation
import Metrics
import NIOPosix
import ServiceLifecycle
import Synchronization
import Tracing

/// An async RabbitMQ (AMQP 0-9-1) client over rabbitmq-c, Debian's `librabbitmq`.
///
/// rabbitmq-c is a blocking C library, so every operation runs on the client's own `NIOThreadPool`
/// (one thread per connection, `configuration.connections` of them), never on the Swift
/// cooperative pool. Each connection has one channel, in publisher-confirm mode: `publish` returns
/// what the broker said about the message (confirmed, rejected, returned), never "sent and hoped".
/// A connection that breaks is discarded and the next operation opens a new one.
///
///     let rabbit = try RabbitMQClient(url: "amqp://lab:lab@127.0.0.1:5672/")
///     try await rabbit.declare(RabbitMQTopology(queues: [.quorum("tasks").deliveryLimit(3)]))
///     let outcome = try await rabbit.publish(RabbitMQMessage("{\"id\": 1}"), routingKey: "tasks")
///     let consumer = try await rabbit.consume("tasks", prefetch: 10)
///     try await consumer.process { delivery in …; try await delivery.ack() }
///
/// Telemetry: a producer span per publish (`publish <destination>`, OpenTelemetry messaging
/// attributes) whose context travels in the message's `traceparent` header; the consumer's
/// `process <queue>` span continues that trace. Metrics: `rabbitmq_client_published_total`,
/// `rabbitmq_client_publish_confirms_total{outcome}`, `rabbitmq_client_publish_duration_seconds`,
/// and per consumer `rabbitmq_client_delivered_total`, `…_redelivered_total`, `…_acked_total`,
/// `…_nacked_total{requeue}` (labels: `destination` or `queue`); `RabbitMQQueueDepthMonitor`
/// adds `rabbitmq_client_queue_messages{queue}`.
public final class RabbitMQClient: Sendable {
    public let configuration: RabbitMQConfiguration
    private let threads: NIOThreadPool
    private let idle = Mutex<[AMQPConnection]>([])
    private let isShutDown = Atomic<Bool>(false)
    let metrics: RabbitMQClientMetrics
    /// nil: the global `InstrumentationSystem.tracer`, read at each call.
    private let tracerOverride: (any Tracer)?

    public init(configuration: RabbitMQConfiguration, tracer: (any Tracer)? = nil, metricsFactory: (any MetricsFactory)? = nil) {
        self.configuration = configuration
        self.tracerOverride = tracer
        self.metrics = RabbitMQClientMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        self.threads = NIOThreadPool(numberOfThreads: configuration.connections)
        threads.start()
    }

    public convenience init(
        url: String, connections: Int = 2, operationTimeout: Duration = .seconds(10),
        tracer: (any Tracer)? = nil, metricsFactory: (any MetricsFactory)? = nil
    ) throws(RabbitMQError) {
        self.init(
            configuration: try RabbitMQConfiguration(url: url, connections: connections, operationTimeout: operationTimeout),
            tracer: tracer, metricsFactory: metricsFactory)
    }

    var tracer: any Tracer { tracerOverride ?? InstrumentationSystem.tracer }

    // MARK: - queues

    /// Declares every exchange, then every queue, then every binding.
    public func declare(_ topology: RabbitMQTopology) async throws {
        try await withConnection { connection throws(RabbitMQError) in
            for exchange in topology.exchanges { try connection.declareExchange(exchange) }
            for queue in topology.queues { try connection.declareQueue(queue) }
            for binding in topology.bindings { try connection.bind(binding) }
        }
    }

    /// The queue's ready messages and consumers (a passive queue.declare). Throws a 404 server
    /// error when there is no such queue.
    public func queueDepth(_ queue: String) async throws -> RabbitMQQueueDepth {
        try await withConnection { connection throws(RabbitMQError) in try connection.inspect(queue) }
    }

    /// Removes every ready message; returns how many.
    @discardableResult
    public func purgeQueue(_ queue: String) async throws -> Int {
        try await withConnection { connection throws(RabbitMQError) in try connection.purge(queue) }
    }

    /// Deletes the queue; returns how many messages went with it.
    @discardableResult
    public func deleteQueue(_ queue: String) async throws -> Int {
        try await withConnection { connection throws(RabbitMQError) in try connection.delete(queue) }
    }

    // MARK: - publishing

    /// Publishes one message and waits for the broker's confirm. A rejected or returned message
    /// is an outcome, not an error (the caller decides: retry, report back-pressure, give up);
    /// a broken connection or a missing confirm throws.
    public func publish(_ message: RabbitMQMessage, to exchange: String = "", routingKey: String) async throws -> RabbitMQPublishOutcome {
        try await publish([message], to: exchange, routingKey: routingKey)[0]
    }

    /// Publishes the messages back to back on one connection, then waits for all their confirms
    /// (one round trip for the batch): one outcome per message, in order.
    public func publish(
        _ messages: [RabbitMQMessage], to exchange: String = "", routingKey: String
    ) async throws -> [RabbitMQPublishOutcome] {
        guard !messages.isEmpty else { return [] }
        let destination = exchange.isEmpty ? routingKey : exchange
        let start = ContinuousClock.now
        return try await tracer.withSpan("publish \(destination)", ofKind: .producer) { span in
            span.attributes["messaging.system"] = "rabbitmq"
            span.attributes["messaging.operation.type"] = "send"
            span.attributes["messaging.operation.name"] = "publish"
            span.attributes["messaging.destination.name"] = destination
            span.attributes["messaging.rabbitmq.destination.routing_key"] = routingKey
            span.attributes["server.address"] = configuration.host
            span.attributes["server.port"] = configuration.port
            if messages.count > 1 { span.attributes["messaging.batch.message_count"] = messages.count }
            // Every message carries this span's context: the consumer's span continues the trace.
            var traceHeaders: [String: String] = [:]
            tracer.inject(ServiceContext.current ?? .topLevel, into: &traceHeaders, using: DictionaryInjector())
            let outgoing = messages.map { message in
                var headers = message.headers
                for (key, value) in traceHeaders { headers[key] = .string(value) }
                return RabbitMQOutgoingMessage(
                    exchange: exchange, routingKey: routingKey, body: message.body, headers: headers,
                    messageID: message.messageID ?? UUID().uuidString.lowercased(), contentType: message.contentType,
                    persistent: message.persistent)
            }
            if outgoing.count == 1 {
                span.attributes["messaging.message.id"] = outgoing[0].messageID
                span.attributes["messaging.message.body.size"] = outgoing[0].body.count
            }
            metrics.published(destination, count: outgoing.count)
            do {
                let outcomes = try await withConnection { connection throws(RabbitMQError) in try connection.publish(outgoing) }
                metrics.confirmed(destination, outcomes, duration: ContinuousClock.now - start)
                let refused = outcomes.filter { $0 != .confirmed }
                if !refused.isEmpty {
                    span.attributes["messaging.rabbitmq.publish.outcome"] = refused[0].label
                    span.setStatus(SpanStatus(code: .error, message: "\(refused.count) of \(outcomes.count) not confirmed: \(refused[0])"))
                }
                return outcomes
            } catch {
                metrics.publishFailed(destination, error)
                span.attributes["error.type"] = (error as? RabbitMQError)?.outcomeLabel ?? "error"
                span.setStatus(SpanStatus(code: .error))
                throw error
            }
        }
    }

    // MARK: - consuming

    /// Starts consuming `queue` with manual acknowledgements: at most `prefetch` deliveries are
    /// unacknowledged at a time. The consumer has its own connection and thread.
    public func consume(_ queue: String, prefetch: Int, consumerTag: String? = nil) async throws -> RabbitMQConsumer {
        guard !isShutDown.load(ordering: .relaxed) else { throw RabbitMQError.closed }
        return try await RabbitMQConsumer.start(
            configuration: configuration, queue: queue, prefetch: prefetch,
            consumerTag: consumerTag ?? "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))",
            client: self)
    }

    /// Closes every connection and stops the threads. Operations in flight finish; new ones throw.
    public func shutdown() async {
        guard isShutDown.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let connections = idle.withLock { all in
            defer { all.removeAll() }
            return all
        }
        if !connections.isEmpty {
            _ = try? await threads.runIfActive { connections.forEach { $0.close() } }
        }
        try? await threads.shutdownGracefully()
    }

    /// Runs `body` on a pool thread with an idle connection (or a new one); a connection that is
    /// still sound afterwards goes back to the idle list.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (AMQPConnection) throws(RabbitMQError) -> T) async throws -> T {
        guard !isShutDown.load(ordering: .relaxed) else { throw RabbitMQError.closed }
        let configuration = self.configuration
        let result: Result<T, RabbitMQError>
        do {
            result = try await threads.runIfActive { [self] in
                let reused = self.idle.withLock { $0.popLast() }
                let connection: AMQPConnection
                if let reused {
                    connection = reused
                } else {
                    do throws(RabbitMQError) {
                        connection = try AMQPConnection.open(configuration)
                    } catch {
                        return .failure(error)
                    }
                }
                do throws(RabbitMQError) {
                    let value = try body(connection)
                    self.idle.withLock { $0.append(connection) }
                    return .success(value)
                } catch {
                    if !connection.isBroken { self.idle.withLock { $0.append(connection) } }
                    return .failure(error)
                }
            }
        } catch {
            throw error is CancellationError ? error : RabbitMQError.closed
        }
        return try result.get()
    }
}

extension RabbitMQClient: Service {
    /// Runs until graceful shutdown, then closes the client (for a `ServiceGroup`).
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}

/// Writes W3C trace headers (or whatever the Instrument propagates) into a dictionary.
struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

/// Reads them back from a message's headers.
struct MessageHeadersExtractor: Extractor {
    func extract(key: String, from carrier: [String: AMQPValue]) -> String? {
        carrier[key]?.stringValue
    }
}
