import Foundation
import Synchronization
import Telemetry
import Tracing
import XCTest

@testable import LabKit

/// LabKit's RabbitMQ client against a real broker (`SharedRabbitMQ`).
final class RabbitMQClientTests: XCTestCase {
    private var clients: [RabbitMQClient] = []

    override func tearDown() async throws {
        for client in clients { await client.shutdown() }
        clients = []
    }

    private func makeClient(tracer: (any Tracer)? = nil, metrics: MetricsRegistry? = nil) async throws -> RabbitMQClient {
        let client = try RabbitMQClient(
            url: try await SharedRabbitMQ.url(), connections: 2, tracer: tracer,
            metricsFactory: metrics.map { PrometheusMetricsFactory(registry: $0) })
        clients.append(client)
        return client
    }

    func testPublishedMessageArrivesWithHeadersIDAndTheProducersTrace() async throws {
        let spans = InMemorySpanProcessor()
        let tracer = TelemetryTracer(sampler: AlwaysOnSampler(), processor: spans)
        let rabbit = try await makeClient(tracer: tracer)
        let queue = uniqueQueue()
        try await rabbit.declare(RabbitMQTopology(queues: [.classic(queue)]))

        let outcome = try await tracer.withSpan("POST /orders", ofKind: .server) { _ in
            try await rabbit.publish(
                RabbitMQMessage(#"{"id": 7}"#, headers: ["tenant": "acme", "attempt": 2], messageID: "order-7"), routingKey: queue)
        }
        XCTAssertEqual(outcome, .confirmed)

        let consumer = try await rabbit.consume(queue, prefetch: 1)
        let received = Mutex<RabbitMQDelivery?>(nil)
        let processing = Task {
            try await consumer.process { delivery in
                received.withLock { $0 = delivery }
                try await delivery.ack()
            }
        }
        try await eventually { received.withLock { $0 } != nil }
        await consumer.stop()
        try await processing.value

        let delivery = try XCTUnwrap(received.withLock { $0 })
        XCTAssertEqual(delivery.text, #"{"id": 7}"#)
        XCTAssertEqual(delivery.messageID, "order-7")
        XCTAssertEqual(delivery.headers["tenant"], .string("acme"))
        XCTAssertEqual(delivery.headers["attempt"], .int(2))
        XCTAssertFalse(delivery.redelivered)
        XCTAssertNotNil(delivery.headers["traceparent"]?.stringValue, "the producer's context travels in the message")

        let finished = spans.finishedSpans
        let request = try XCTUnwrap(finished.first { $0.name == "POST /orders" })
        let publish = try XCTUnwrap(finished.first { $0.name == "publish \(queue)" })
        let process = try XCTUnwrap(finished.first { $0.name == "process \(queue)" })
        XCTAssertEqual(publish.kind, 4, "SPAN_KIND_PRODUCER")
        XCTAssertEqual(process.kind, 5, "SPAN_KIND_CONSUMER")
        XCTAssertEqual(publish.parentSpanID, request.spanID)
        XCTAssertEqual(process.traceID, request.traceID, "the consumer's span continues the producer's trace")
        XCTAssertEqual(process.parentSpanID, publish.spanID)
        XCTAssertEqual(publish.attribute("messaging.system"), .string("rabbitmq"))
        XCTAssertEqual(publish.attribute("messaging.destination.name"), .string(queue))
        XCTAssertEqual(publish.attribute("messaging.message.id"), .string("order-7"))
        XCTAssertEqual(process.attribute("messaging.operation.type"), .string("process"))
    }

    func testAFullQueueRejectsThePublishAndAnUnroutableOneComesBack() async throws {
        let rabbit = try await makeClient()
        let queue = uniqueQueue()
        try await rabbit.declare(
            RabbitMQTopology(
                exchanges: [RabbitMQExchange("\(queue).nowhere")],
                queues: [RabbitMQQueue.classic(queue).maxLength(2, overflow: .rejectPublish)]))

        let outcomes = try await rabbit.publish((1...4).map { RabbitMQMessage("{\"n\": \($0)}") }, routingKey: queue)
        XCTAssertEqual(outcomes, [.confirmed, .confirmed, .rejected, .rejected], "reject-publish nacks what does not fit")
        let depth = try await rabbit.queueDepth(queue)
        XCTAssertEqual(depth.messages, 2)

        let unroutable = try await rabbit.publish(RabbitMQMessage("{}"), to: "\(queue).nowhere", routingKey: "no-binding")
        guard case .returned(let reason) = unroutable else { return XCTFail("expected a basic.return, got \(unroutable)") }
        XCTAssertTrue(reason.contains("312"), "NO_ROUTE: \(reason)")
    }

    func testDropHeadLosesTheOldestMessageSilently() async throws {
        let rabbit = try await makeClient()
        let queue = uniqueQueue()
        try await rabbit.declare(RabbitMQTopology(queues: [RabbitMQQueue.classic(queue).maxLength(2, overflow: .dropHead)]))
        let outcomes = try await rabbit.publish((1...3).map { RabbitMQMessage("{\"n\": \($0)}") }, routingKey: queue)
        XCTAssertEqual(outcomes, [.confirmed, .confirmed, .confirmed], "every publish is confirmed…")
        let consumer = try await rabbit.consume(queue, prefetch: 10)
        var texts: [String] = []
        for try await delivery in consumer.deliveries {
            texts.append(delivery.text)
            try await delivery.ack()
            if texts.count == 2 { break }
        }
        await consumer.stop()
        XCTAssertEqual(texts, [#"{"n": 2}"#, #"{"n": 3}"#], "…and the first one is gone")
    }

    func testNackWithRequeueRedeliversAndAQuorumQueueDeadLettersPastItsLimit() async throws {
        let rabbit = try await makeClient()
        let queue = uniqueQueue()
        let dlx = "\(queue).dlx"
        let dlq = "\(queue).dlq"
        try await rabbit.declare(
            RabbitMQTopology(
                exchanges: [RabbitMQExchange(dlx, type: .fanout)],
                queues: [RabbitMQQueue.quorum(queue).deliveryLimit(2).deadLetter(to: dlx), .classic(dlq)],
                bindings: [RabbitMQBinding(queue: dlq, exchange: dlx)]))
        _ = try await rabbit.publish(RabbitMQMessage("poison", messageID: "p-1"), routingKey: queue)

        let consumer = try await rabbit.consume(queue, prefetch: 1)
        let deliveries = Mutex<[(redelivered: Bool, count: Int)]>([])
        let processing = Task {
            try await consumer.process { delivery in
                deliveries.withLock { $0.append((delivery.redelivered, delivery.deliveryCount)) }
                try await delivery.nack(requeue: true)
            }
        }
        try await eventually { try await rabbit.queueDepth(dlq).messages == 1 }
        await consumer.stop()
        try await processing.value

        let seen = deliveries.withLock { $0 }
        XCTAssertEqual(seen.count, 3, "delivered once, then twice more (x-delivery-limit 2), then dead-lettered: \(seen)")
        XCTAssertEqual(seen.map(\.redelivered), [false, true, true])
        XCTAssertEqual(seen.map(\.count), [0, 1, 2], "x-delivery-count counts the returns")

        let letters = try await rabbit.consume(dlq, prefetch: 1)
        var letter: RabbitMQDelivery?
        for try await delivery in letters.deliveries {
            letter = delivery
            try await delivery.ack()
            break
        }
        await letters.stop()
        XCTAssertEqual(letter?.text, "poison")
        XCTAssertEqual(letter?.messageID, "p-1")
        guard case .array(let deaths)? = letter?.headers["x-death"], case .table(let death)? = deaths.first else {
            return XCTFail("the broker records why in x-death: \(String(describing: letter?.headers))")
        }
        XCTAssertEqual(death["reason"], .string("delivery_limit"))
        XCTAssertEqual(death["queue"], .string(queue))
    }

    func testStoppingAConsumerReturnsItsUnacknowledgedDeliveries() async throws {
        let rabbit = try await makeClient()
        let queue = uniqueQueue()
        try await rabbit.declare(RabbitMQTopology(queues: [.classic(queue)]))
        _ = try await rabbit.publish((1...5).map { RabbitMQMessage("{\"n\": \($0)}") }, routingKey: queue)

        let consumer = try await rabbit.consume(queue, prefetch: 3)
        var held = 0
        for try await _ in consumer.deliveries {
            held += 1
            if held == 3 { break }
        }
        var depth = try await rabbit.queueDepth(queue)
        XCTAssertEqual(depth.messages, 2, "prefetch 3: three are out, unacknowledged")
        await consumer.stop()
        try await eventually { try await rabbit.queueDepth(queue).messages == 5 }
        depth = try await rabbit.queueDepth(queue)
        XCTAssertEqual(depth.consumers, 0)
    }

    func testQueueOperationsAndAMissingQueue() async throws {
        let rabbit = try await makeClient()
        let queue = uniqueQueue()
        try await rabbit.declare(RabbitMQTopology(queues: [.classic(queue)]))
        _ = try await rabbit.publish((1...3).map { _ in RabbitMQMessage("{}") }, routingKey: queue)
        let purged = try await rabbit.purgeQueue(queue)
        XCTAssertEqual(purged, 3)
        _ = try await rabbit.publish(RabbitMQMessage("{}"), routingKey: queue)
        let deleted = try await rabbit.deleteQueue(queue)
        XCTAssertEqual(deleted, 1)
        do {
            _ = try await rabbit.queueDepth(queue)
            XCTFail("a deleted queue cannot be inspected")
        } catch let error as RabbitMQError {
            guard case .server(let code, let text) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, 404)
            XCTAssertTrue(text.contains("NOT_FOUND"), text)
        }
        // The channel the broker closed is not reused: the next operation works.
        try await rabbit.declare(RabbitMQTopology(queues: [.classic(queue)]))
        let depth = try await rabbit.queueDepth(queue)
        XCTAssertEqual(depth.messages, 0)
    }

    func testMetricsCountEveryStepOfAMessagesLife() async throws {
        let registry = MetricsRegistry()
        let rabbit = try await makeClient(metrics: registry)
        let queue = uniqueQueue()
        try await rabbit.declare(RabbitMQTopology(queues: [RabbitMQQueue.classic(queue).maxLength(3, overflow: .rejectPublish)]))
        _ = try await rabbit.publish((1...4).map { RabbitMQMessage("{\"n\": \($0)}") }, routingKey: queue)

        let consumer = try await rabbit.consume(queue, prefetch: 1)
        let seen = Atomic<Int>(0)
        let processing = Task {
            try await consumer.process { delivery in
                // First delivery of n=1: nack it back; every other delivery: ack.
                if seen.add(1, ordering: .relaxed).newValue == 1 {
                    try await delivery.nack(requeue: true)
                } else {
                    try await delivery.ack()
                }
            }
        }
        try await eventually { seen.load(ordering: .relaxed) == 4 }
        await consumer.stop()
        try await processing.value

        let text = registry.render(.prometheusText)
        for line in [
            #"rabbitmq_client_published_total{destination="\#(queue)"} 4"#,
            #"rabbitmq_client_publish_confirms_total{destination="\#(queue)",outcome="ack"} 3"#,
            #"rabbitmq_client_publish_confirms_total{destination="\#(queue)",outcome="nack"} 1"#,
            #"rabbitmq_client_delivered_total{queue="\#(queue)"} 4"#,
            #"rabbitmq_client_redelivered_total{queue="\#(queue)"} 1"#,
            #"rabbitmq_client_acked_total{queue="\#(queue)"} 3"#,
            #"rabbitmq_client_nacked_total{queue="\#(queue)",requeue="true"} 1"#,
            #"rabbitmq_client_nacked_total{queue="\#(queue)",requeue="false"} 0"#,
        ] {
            XCTAssertTrue(text.contains(line), "missing \(line) in\n\(text)")
        }
    }

    func testAMalformedURLSaysWhatIsExpected() {
        XCTAssertThrowsError(try RabbitMQClient(url: "redis://127.0.0.1:6379")) { error in
            XCTAssertEqual("\(error)", "invalid RabbitMQ URL: 'redis://127.0.0.1:6379': expected amqp://user:password@host:port/vhost")
        }
        XCTAssertEqual(try RabbitMQConfiguration(url: "amqp://a:b@h:1/%2Fx").vhost, "/x")
        XCTAssertEqual(try RabbitMQConfiguration(url: "amqp://h").vhost, "/")
    }

    func testABrokerThatIsNotThereIsAConnectionError() async throws {
        let rabbit = try RabbitMQClient(url: "amqp://lab:lab@127.0.0.1:1/", connections: 1)
        clients.append(rabbit)
        do {
            _ = try await rabbit.publish(RabbitMQMessage("{}"), routingKey: "x")
            XCTFail("nothing listens on port 1")
        } catch let error as RabbitMQError {
            guard case .connection(let text) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("127.0.0.1:1"), text)
        }
    }
}
