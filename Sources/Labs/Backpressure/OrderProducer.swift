import Foundation
import HTTPTypes
import LabKit
import Synchronization

extension BackpressureLab {
    /// KEY IDEA: back-pressure is the consumer's limit travelling back to whoever creates the work.
    /// An unbounded queue absorbs every order and says "accepted" to everyone: the backlog, and the
    /// wait of every order behind it, grow without bound while every caller hears 202. A bounded
    /// queue with `x-overflow: reject-publish` refuses the publish once it is full; with publisher
    /// confirms the producer *knows* (basic.nack) and passes it on as 503 + Retry-After, so callers
    /// slow down and nothing is accepted that cannot be served in time. Nothing is dropped
    /// silently in either variant: an order is either refused at the door or processed.
    enum OrderProducer {
        static func build(_ service: LabService) async throws {
            guard let rabbit = try service.rabbitmq() else {
                throw LabStartupError("producer needs RABBITMQ_URL (a rabbitmq infrastructure entry)")
            }
            let queue = try OrderQueue.declaration(service.knobs)
            try await rabbit.declare(RabbitMQTopology(queues: [queue]))
            let nextID = Atomic<Int>(0)
            let acceptedCount = Atomic<Int>(0)
            let accepted = Counter(label: "orders_accepted_total")
            let refused = Counter(label: "orders_refused_total", dimensions: [("reason", "queue_full")])
            let failed = Counter(label: "orders_refused_total", dimensions: [("reason", "broker_error")])
            for counter in [accepted, refused, failed] { counter.increment(by: 0) }

            service.router.post("/orders") { _, context -> Response in
                let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
                context.span?.attributes["order.id"] = id
                let message = OrderMessage(id: id, acceptedAtMs: Int64(Date().timeIntervalSince1970 * 1_000))
                let body = try JSONEncoder().encode(message)
                let outcome: RabbitMQPublishOutcome
                do {
                    outcome = try await rabbit.publish(
                        RabbitMQMessage(body: Array(body), messageID: "order-\(id)"), routingKey: OrderQueue.name)
                } catch {
                    failed.increment()
                    return .jsonError("could not publish order \(id): \(error)", status: .serviceUnavailable)
                }
                switch outcome {
                case .confirmed:
                    accepted.increment()
                    acceptedCount.add(1, ordering: .relaxed)
                    return .json(["id": .number(Double(id)), "status": "accepted"], status: .accepted)
                case .rejected:
                    // The broker refused it: the queue is full. Say so, and when to come back.
                    refused.increment()
                    var response = Response.jsonError(
                        "order \(id) refused: the order queue is full (back-pressure)", status: .serviceUnavailable)
                    response.headers[HTTPField.Name("Retry-After")!] = "1"
                    return response
                case .returned(let reason):
                    failed.increment()
                    return .jsonError("order \(id) was not routed to a queue: \(reason)", status: .internalServerError)
                }
            }

            // What the producer promised: the orders it answered 202 for (the audit's reference).
            service.router.get("/ledger") { _, _ -> JSONValue in
                ["accepted": .number(Double(acceptedCount.load(ordering: .relaxed)))]
            }
        }
    }
}
