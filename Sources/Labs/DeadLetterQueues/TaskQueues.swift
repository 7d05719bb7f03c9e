import Foundation
import LabKit

extension DeadLetterQueuesLab {
    /// The queues both services declare.
    ///
    /// - `DLQ=off`: `tasks` is a classic queue. A nacked message goes back to where it was — the
    ///   head of the queue — and is delivered again at once, as often as it is nacked.
    /// - `DLQ=on`: `tasks` is a quorum queue with `x-delivery-limit` and a dead-letter exchange:
    ///   after DELIVERY_LIMIT returns the broker moves the message to `tasks.dlq` instead.
    enum TaskQueues {
        static let tasks = "tasks"
        static let deadLetterExchange = "tasks.dlx"
        static let deadLetters = "tasks.dlq"

        static let dlqKnob = Knob.flag(
            "DLQ", default: false,
            "tasks is a quorum queue with a delivery limit and a dead-letter queue; off: a classic queue, redelivered forever")
        static let deliveryLimitKnob = Knob.wholeNumber(
            "DELIVERY_LIMIT", default: 3, in: 0...1_000, "x-delivery-limit: returns before the broker dead-letters a message (DLQ=on)")
        static let knobs: [any LabKnob] = [dlqKnob, deliveryLimitKnob]

        static func topology(_ knobs: KnobReader) throws -> RabbitMQTopology {
            guard try knobs.read(dlqKnob) else { return RabbitMQTopology(queues: [.classic(tasks)]) }
            return RabbitMQTopology(
                exchanges: [RabbitMQExchange(deadLetterExchange, type: .fanout)],
                queues: [
                    RabbitMQQueue.quorum(tasks).deliveryLimit(try knobs.read(deliveryLimitKnob)).deadLetter(to: deadLetterExchange),
                    .classic(deadLetters),
                ],
                bindings: [RabbitMQBinding(queue: deadLetters, exchange: deadLetterExchange)])
        }
    }

    /// A task as it travels: an id, and whether it is one the worker can never process.
    struct TaskMessage: Codable, Sendable {
        var id: Int
        var poison: Bool
    }

    /// The lab's own ledger, in Redis: every published id, every processed id.
    enum TaskLedger {
        static let published = "ledger:published"
        static let processed = "ledger:processed"
    }
}
