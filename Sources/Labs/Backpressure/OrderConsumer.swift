import Foundation
import LabKit
import Synchronization

extension BackpressureLab {
    /// Works through `orders` one at a time (WORK_MS each: the consumer's capacity is about
    /// 1000 / WORK_MS orders per second) and records how long each order waited in total, from the
    /// producer's 202 to the end of its processing: `order_end_to_end_seconds`.
    ///
    /// `POST /audit` settles the books: it stops consuming (the broker requeues what was in flight),
    /// then lost = accepted (the producer's ledger) − processed (ours) − still queued (the broker's).
    enum OrderConsumer {
        static let workKnob = Knob.milliseconds(
            "WORK_MS", default: 20, in: 0...60_000, "how long the consumer works on one order (orders are processed one at a time)")
        static let prefetchKnob = Knob.wholeNumber(
            "PREFETCH", default: 1, in: 1...10_000, "unacknowledged orders the broker hands the consumer at a time (basic.qos)")
        static let knobs: [any LabKnob] = [workKnob, prefetchKnob]

        static func build(_ service: LabService) async throws {
            guard let rabbit = try service.rabbitmq() else { throw LabStartupError("consumer needs RABBITMQ_URL (a rabbitmq infrastructure entry)") }
            let work = try service.knobs.read(workKnob)
            let prefetch = try service.knobs.read(prefetchKnob)
            try await rabbit.declare(RabbitMQTopology(queues: [try OrderQueue.declaration(service.knobs)]))
            let producer = try service.context.peer("producer")
            // Waits of a minute and more are the lesson (buckets up to 2 minutes), and so is a bounded
            // wait of about a second (buckets 25 % apart there).
            service.telemetry.registry.configureBuckets(
                forMetric: "order_end_to_end_seconds",
                [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7.5, 9, 11, 13, 15, 20, 25, 30, 40, 50, 60, 90, 120])

            let books = OrderBooks()
            let handler = OrderHandler(work: work, books: books)
            let worker = RabbitMQConsumingService(client: rabbit, queue: OrderQueue.name, prefetch: prefetch, logger: service.context.logger) {
                try await handler.handle($0)
            }
            service.addService(worker)
            service.addService(RabbitMQQueueDepthMonitor(client: rabbit, queues: [OrderQueue.name], logger: service.context.logger))
            // -1 until the audit has run: "0 lost" must come from an audit, not from a default.
            let lost = Gauge(label: "orders_lost")
            let duplicated = Gauge(label: "orders_processed_twice")
            let audited = Gauge(label: "orders_accepted_at_audit")
            for gauge in [lost, duplicated, audited] { gauge.record(-1) }

            service.router.post("/audit") { _, _ -> JSONValue in
                await worker.pause()
                defer { worker.resume() }
                // The broker requeues the stopped consumer's unacknowledged orders when its
                // connection closes; wait until it shows no consumer, then count.
                var queued = try await rabbit.queueDepth(OrderQueue.name)
                for _ in 0..<50 where queued.consumers > 0 {
                    try await Task.sleep(for: .milliseconds(100))
                    queued = try await rabbit.queueDepth(OrderQueue.name)
                }
                let ledger = try await producer.get("/ledger").json
                guard let accepted = ledger["accepted"]?.intValue else { throw LabStartupError("producer /ledger: \(ledger)") }
                let (processed, twice) = books.counts
                let missing = accepted - processed - queued.messages
                lost.record(missing)
                duplicated.record(twice)
                audited.record(accepted)
                return ["accepted": .number(Double(accepted)), "processed": .number(Double(processed)),
                        "queued": .number(Double(queued.messages)), "lost": .number(Double(missing)),
                        "processed_twice": .number(Double(twice))]
            }
        }
    }

    /// Which orders were processed (each id once), and how many were processed again.
    final class OrderBooks: Sendable {
        private let state = Mutex<(ids: Set<Int>, twice: Int)>(([], 0))

        func processed(_ id: Int) {
            state.withLock { state in
                if !state.ids.insert(id).inserted { state.twice += 1 }
            }
        }

        var counts: (processed: Int, twice: Int) { state.withLock { ($0.ids.count, $0.twice) } }
    }

    /// One order: the work, the ack, then the books and the end-to-end latency.
    struct OrderHandler: Sendable {
        let work: Duration
        let books: OrderBooks
        private let processed = Counter(label: "orders_processed_total")
        private let endToEnd = Timer(label: "order_end_to_end_seconds")

        init(work: Duration, books: OrderBooks) {
            self.work = work
            self.books = books
            processed.increment(by: 0)
        }

        func handle(_ delivery: RabbitMQDelivery) async throws {
            let order = try JSONDecoder().decode(OrderMessage.self, from: Data(delivery.body))
            try await Task.sleep(for: work)   // the consumer's work on one order
            try await delivery.ack()
            books.processed(order.id)
            processed.increment()
            let waited = Date().timeIntervalSince1970 - Double(order.acceptedAtMs) / 1_000
            endToEnd.recordNanoseconds(Int64(max(0, waited) * 1e9))
        }
    }
}
