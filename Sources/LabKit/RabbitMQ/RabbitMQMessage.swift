import Foundation

/// A message to publish: `body` to `exchange` ("" is the default exchange, which routes by queue
/// name) with `routingKey`, headers (the client adds `traceparent`), a message id (one is made up
/// when none is given) and persistence.
public struct RabbitMQMessage: Sendable {
    public var body: [UInt8]
    public var headers: [String: AMQPValue]
    public var messageID: String?
    public var contentType: String
    /// delivery-mode 2: written to disk by durable queues.
    public var persistent: Bool

    public init(
        body: [UInt8], headers: [String: AMQPValue] = [:], messageID: String? = nil, contentType: String = "application/json",
        persistent: Bool = true
    ) {
        self.body = body
        self.headers = headers
        self.messageID = messageID
        self.contentType = contentType
        self.persistent = persistent
    }

    public init(_ text: String, headers: [String: AMQPValue] = [:], messageID: String? = nil, contentType: String = "application/json") {
        self.init(body: Array(text.utf8), headers: headers, messageID: messageID, contentType: contentType)
    }
}

/// What the broker said about one publish (publisher confirms).
public enum RabbitMQPublishOutcome: Sendable, Equatable, CustomStringConvertible {
    /// basic.ack: the broker has taken responsibility for the message.
    case confirmed
    /// basic.nack: the broker refused it (a full queue with `overflow: reject-publish`, …).
    case rejected
    /// basic.return: no queue is bound for it (it was mandatory); the reply code and text.
    case returned(String)

    public var description: String {
        switch self {
        case .confirmed: "confirmed"
        case .rejected: "rejected"
        case .returned(let reason): "returned (\(reason))"
        }
    }

    /// The `outcome` label of `rabbitmq_client_publish_confirms_total`.
    var label: String {
        switch self {
        case .confirmed: "ack"
        case .rejected: "nack"
        case .returned: "returned"
        }
    }
}

/// A message on its way out, with everything rabbitmq-c needs.
struct RabbitMQOutgoingMessage: Sendable {
    var exchange: String
    var routingKey: String
    var body: [UInt8]
    var headers: [String: AMQPValue]
    var messageID: String
    var contentType: String
    var persistent: Bool
}
