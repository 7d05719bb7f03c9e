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
            guard let rabbit = try service.rabbitmq() else {
                throw LabStartupError("consumer needs RABBITMQ_URL (a rabbitmq infrastructure entry)")
            }
            let work = try service.knobs.read(workKnob)
            let prefetch = try service.knobs.read(prefetchKnob)
            try await rabbit.declare(RabbitMQTopology(queues: [try OrderQueue.declaration(service.knobs)]))
            let producer = try service.context.peer("producer")
            // Waits of a minute and more are the lesson (buckets up to 2 minutes), and so is a bounded
            // wait under a second (buckets 0.1 s apart there).
            service.telemetry.registry.configureBuckets(
                forMetric: "order_end_to_end_seconds",
                [
                    0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 5, 6, 7.5, 9, 11, 13, 15,
                    20, 25, 30, 40, 50, 60, 90, 120,
                ])
            service.telemetry.registry.configureBuckets(
                forMetric: "order_orders_ahead",
                [0, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000])

            let books = OrderBooks()
            let handler = OrderHandler(work: work, books: books)
            let worker = RabbitMQConsumingService(
                client: rabbit, queue: OrderQueue.name, prefetch: prefetch, logger: service.context.logger
            ) {
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
                // Orders still being published change both sides: count the queue between two
                // equal readings of the producer's ledger, so both counts describe the same moment.
                var accepted = try await acceptedOrders(producer)
                for _ in 0..<50 {
                    queued = try await rabbit.queueDepth(OrderQueue.name)
                    let again = try await acceptedOrders(producer)
                    if again == accepted { break }
                    accepted = again
                    try await Task.sleep(for: .milliseconds(100))
                }
                let (processed, twice) = books.counts
                let missing = accepted - processed - queued.messages
                lost.record(missing)
                duplicated.record(twice)
                audited.record(accepted)
                return [
                    "accepted": .number(Double(accepted)), "processed": .number(Double(processed)),
                    "queued": .number(Double(queued.messages)), "lost": .number(Double(missing)),
                    "processed_twice": .number(Double(twice)),
                ]
            }
        }
    }

    static func acceptedOrders(_ producer: PeerClient) async throws -> Int {
        let ledger = try await producer.get("/ledger").json
        guard let accepted = ledger["accepted"]?.intValue else { throw LabStartupError("producer /ledger: \(ledger)") }
        return accepted
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

    /// One order: the work, the ack, then the books, the end-to-end latency and the same wait
    /// counted in orders: how many orders finished between this one's acceptance and its own end
    /// (`order_orders_ahead`). Seconds depend on the machine's speed; orders ahead do not.
    final class OrderHandler: Sendable {
        let work: Duration
        let books: OrderBooks
        private let processed = Counter(label: "orders_processed_total")
        private let endToEnd = Timer(label: "order_end_to_end_seconds")
        private let ahead = Recorder(label: "order_orders_ahead", aggregate: true)
        /// When each order finished, ascending (orders are processed one at a time).
        private let finishedAtMs = Mutex<[Int64]>([])

        init(work: Duration, books: OrderBooks) {
            self.work = work
            self.books = books
            processed.increment(by: 0)
        }

        func handle(_ delivery: RabbitMQDelivery) async throws {
            let order = try JSONDecoder().decode(OrderMessage.self, from: Data(delivery.body))
            try await Task.sleep(for: work) // the consumer's work on one order
            try await delivery.ack()
            books.processed(order.id)
            processed.increment()
            let now = Date().timeIntervalSince1970
            endToEnd.recordNanoseconds(Int64(max(0, now - Double(order.acceptedAtMs) / 1_000) * 1e9))
            let finishedAhead = finishedAtMs.withLock { finished -> Int in
                defer { finished.append(Int64(now * 1_000)) }
                return finished.count - Self.firstIndex(in: finished, after: order.acceptedAtMs)
            }
            ahead.record(finishedAhead)
        }

        /// The first index of `sorted` whose value is greater than `time` (binary search).
        static func firstIndex(in sorted: [Int64], after time: Int64) -> Int {
            var low = 0
            var high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle] > time { high = middle } else { low = middle + 1 }
            }
            return low
        }
    }
}
