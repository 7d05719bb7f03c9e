/// Exchanges, queues and bindings, declared together (`RabbitMQClient.declare`). Declaring is
/// idempotent while the arguments stay the same; a queue redeclared with other arguments is a
/// 406 PRECONDITION_FAILED.
public struct RabbitMQTopology: Sendable {
    public var exchanges: [RabbitMQExchange]
    public var queues: [RabbitMQQueue]
    public var bindings: [RabbitMQBinding]

    public init(exchanges: [RabbitMQExchange] = [], queues: [RabbitMQQueue] = [], bindings: [RabbitMQBinding] = []) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }
}

public struct RabbitMQExchange: Sendable, Equatable {
    public enum Kind: String, Sendable { case direct, fanout, topic, headers }
    public var name: String
    public var type: Kind
    public var durable: Bool

    public init(_ name: String, type: Kind = .direct, durable: Bool = true) {
        self.name = name
        self.type = type
        self.durable = durable
    }
}

public struct RabbitMQBinding: Sendable, Equatable {
    public var queue: String
    public var exchange: String
    public var routingKey: String

    public init(queue: String, exchange: String, routingKey: String = "") {
        self.queue = queue
        self.exchange = exchange
        self.routingKey = routingKey
    }
}

/// A queue and its `x-` arguments, built up with the methods below:
///
///     RabbitMQQueue.quorum("tasks").deliveryLimit(3).deadLetter(to: "tasks.dlx")
///     RabbitMQQueue.classic("orders").maxLength(1_000, overflow: .rejectPublish)
public struct RabbitMQQueue: Sendable, Equatable {
    public var name: String
    public var durable: Bool
    public var arguments: [String: AMQPValue]

    public init(_ name: String, durable: Bool = true, arguments: [String: AMQPValue] = [:]) {
        self.name = name
        self.durable = durable
        self.arguments = arguments
    }

    /// A classic queue (one copy on one node; unbounded unless told otherwise).
    public static func classic(_ name: String) -> RabbitMQQueue { RabbitMQQueue(name) }

    /// A quorum queue (a Raft log; counts deliveries and can stop redelivering: `deliveryLimit`).
    public static func quorum(_ name: String) -> RabbitMQQueue { RabbitMQQueue(name, arguments: ["x-queue-type": "quorum"]) }

    /// A stream queue (an append-only log read by offset; RabbitMQ 3.9+).
    public static func stream(_ name: String) -> RabbitMQQueue { RabbitMQQueue(name, arguments: ["x-queue-type": "stream"]) }

    /// What happens to a publish when the queue is full (`x-overflow`).
    public enum Overflow: String, Sendable {
        /// Drop the oldest message (the default): silent loss at the head.
        case dropHead = "drop-head"
        /// Refuse the publish: with publisher confirms the producer gets a basic.nack.
        case rejectPublish = "reject-publish"
        /// Refuse it and dead-letter it.
        case rejectPublishDeadLetter = "reject-publish-dlx"
    }

    /// `x-max-length`: at most `messages` ready messages.
    public func maxLength(_ messages: Int, overflow: Overflow) -> RabbitMQQueue {
        with(["x-max-length": .int(Int64(messages)), "x-overflow": .string(overflow.rawValue)])
    }

    /// `x-delivery-limit` (quorum queues): after this many redeliveries a message is dead-lettered
    /// (or dropped, without a dead-letter exchange) instead of being delivered again.
    public func deliveryLimit(_ limit: Int) -> RabbitMQQueue { with(["x-delivery-limit": .int(Int64(limit))]) }

    /// `x-dead-letter-exchange` (and `x-dead-letter-routing-key`): where rejected, expired and
    /// over-limit messages go.
    public func deadLetter(to exchange: String, routingKey: String? = nil) -> RabbitMQQueue {
        var added: [String: AMQPValue] = ["x-dead-letter-exchange": .string(exchange)]
        if let routingKey { added["x-dead-letter-routing-key"] = .string(routingKey) }
        return with(added)
    }

    /// `x-message-ttl`: messages older than this expire (and are dead-lettered if configured).
    public func messageTTL(_ ttl: Duration) -> RabbitMQQueue {
        with(["x-message-ttl": .int(Int64(ttl.components.seconds * 1_000 + ttl.components.attoseconds / 1_000_000_000_000_000))])
    }

    public func with(_ added: [String: AMQPValue]) -> RabbitMQQueue {
        var copy = self
        copy.arguments.merge(added) { _, new in new }
        return copy
    }
}

/// What a passive queue.declare reports.
public struct RabbitMQQueueDepth: Sendable, Equatable {
    /// Messages ready for delivery (not counting delivered, unacknowledged ones).
    public var messages: Int
    public var consumers: Int
}
