import LabKit

extension BackpressureLab {
    /// The `orders` queue as both services declare it: unbounded, or bounded with reject-publish.
    enum OrderQueue {
        static let name = "orders"

        static let maxLengthKnob = Knob.wholeNumber(
            "QUEUE_MAX_LENGTH", default: 0, in: 0...10_000_000,
            "x-max-length of the orders queue (ready messages); 0: unbounded")
        static let overflowKnob = Knob.choice(
            "QUEUE_OVERFLOW", among: ["reject-publish", "drop-head"], default: "reject-publish",
            "what a full queue does with a publish: refuse it (the producer gets a nack) or drop the oldest message")
        static let knobs: [any LabKnob] = [maxLengthKnob, overflowKnob]

        static func declaration(_ knobs: KnobReader) throws -> RabbitMQQueue {
            let maxLength = try knobs.read(maxLengthKnob)
            guard maxLength > 0 else { return .classic(name) }
            let overflow: RabbitMQQueue.Overflow = try knobs.read(overflowKnob) == "drop-head" ? .dropHead : .rejectPublish
            return RabbitMQQueue.classic(name).maxLength(maxLength, overflow: overflow)
        }
    }

    /// What travels in a message: the order and when it was accepted (for end-to-end latency).
    struct OrderMessage: Codable, Sendable {
        var id: Int
        var acceptedAtMs: Int64
    }
}
