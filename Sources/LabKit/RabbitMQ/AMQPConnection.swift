import CRabbitMQ
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One blocking rabbitmq-c connection with one channel (channel 1).
///
/// Every method blocks the calling thread, so only a dedicated thread calls them (the client's
/// thread pool, or a consumer's own thread), never the Swift cooperative pool. rabbitmq-c is not
/// thread-safe: one thread at a time uses a connection, which is why `@unchecked Sendable` is
/// sound here. After a transport error, a timeout or a channel/connection exception the
/// connection is `isBroken` and is discarded.
final class AMQPConnection: @unchecked Sendable {
    private let state: amqp_connection_state_t
    private let channel: amqp_channel_t = 1
    let endpoint: String
    private let operationTimeout: Duration
    private(set) var isBroken = false
    /// Publisher confirms are on (confirm.select): every publish is acked or nacked by the broker.
    private(set) var confirming = false
    /// The delivery tag the broker gives the next publish in confirm mode (1, 2, …).
    private var nextPublishTag: UInt64 = 1

    private init(state: amqp_connection_state_t, endpoint: String, operationTimeout: Duration) {
        self.state = state
        self.endpoint = endpoint
        self.operationTimeout = operationTimeout
    }

    deinit { amqp_destroy_connection(state) }

    /// A write to a connection the broker has reset raises SIGPIPE, whose default action kills
    /// the process; servers ignore it and take the EPIPE error instead.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Connects, logs in (PLAIN, no heartbeats: a blocked thread could not answer them) and opens
    /// channel 1.
    static func open(_ configuration: RabbitMQConfiguration) throws(RabbitMQError) -> AMQPConnection {
        Self.ignoreSIGPIPE
        guard let state = amqp_new_connection() else { throw .connection("cannot allocate a connection for \(configuration.endpoint)") }
        let connection = AMQPConnection(state: state, endpoint: configuration.endpoint, operationTimeout: configuration.operationTimeout)
        guard let socket = amqp_tcp_socket_new(state) else { throw .connection("cannot create a socket for \(configuration.endpoint)") }
        var connectTimeout = timeval(configuration.connectTimeout)
        let opened = amqp_socket_open_noblock(socket, configuration.host, Int32(configuration.port), &connectTimeout)
        guard opened == 0 else { throw .connection("connect to \(configuration.endpoint): \(errorText(opened))") }
        var rpcTimeout = timeval(configuration.operationTimeout)
        amqp_set_rpc_timeout(state, &rpcTimeout)
        try connection.check(
            clab_amqp_login_plain(state, configuration.vhost, 0, 131_072, 0, configuration.user, configuration.password),
            "login to \(configuration.endpoint)")
        amqp_channel_open(state, 1)
        try connection.check(amqp_get_rpc_reply(state), "channel.open")
        return connection
    }

    /// Closes the channel and the connection politely (best effort: it may already be broken).
    func close() {
        guard !isBroken else { return }
        isBroken = true
        _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
    }

    // MARK: - topology

    func declareExchange(_ exchange: RabbitMQExchange) throws(RabbitMQError) {
        let arena = CArena()
        amqp_exchange_declare(
            state, channel, arena.bytes(exchange.name), arena.bytes(exchange.type.rawValue), 0, exchange.durable ? 1 : 0, 0, 0,
            arena.table([:]))
        try check(amqp_get_rpc_reply(state), "exchange.declare \(exchange.name)")
    }

    func declareQueue(_ queue: RabbitMQQueue) throws(RabbitMQError) {
        let arena = CArena()
        amqp_queue_declare(state, channel, arena.bytes(queue.name), 0, queue.durable ? 1 : 0, 0, 0, arena.table(queue.arguments))
        try check(amqp_get_rpc_reply(state), "queue.declare \(queue.name)")
    }

    func bind(_ binding: RabbitMQBinding) throws(RabbitMQError) {
        let arena = CArena()
        amqp_queue_bind(
            state, channel, arena.bytes(binding.queue), arena.bytes(binding.exchange), arena.bytes(binding.routingKey), arena.table([:]))
        try check(amqp_get_rpc_reply(state), "queue.bind \(binding.queue) to \(binding.exchange)")
    }

    /// queue.declare(passive): the queue's ready messages and consumers. A missing queue is a 404.
    func inspect(_ queue: String) throws(RabbitMQError) -> RabbitMQQueueDepth {
        let arena = CArena()
        let ok = amqp_queue_declare(state, channel, arena.bytes(queue), 1, 0, 0, 0, arena.table([:]))
        try check(amqp_get_rpc_reply(state), "queue.declare(passive) \(queue)")
        guard let ok else { throw .protocolError("queue.declare-ok for \(queue) is missing") }
        return RabbitMQQueueDepth(messages: Int(ok.pointee.message_count), consumers: Int(ok.pointee.consumer_count))
    }

    /// queue.purge: the number of messages removed.
    func purge(_ queue: String) throws(RabbitMQError) -> Int {
        let arena = CArena()
        let ok = amqp_queue_purge(state, channel, arena.bytes(queue))
        try check(amqp_get_rpc_reply(state), "queue.purge \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    /// queue.delete: the number of messages deleted with it.
    func delete(_ queue: String) throws(RabbitMQError) -> Int {
        let arena = CArena()
        let ok = amqp_queue_delete(state, channel, arena.bytes(queue), 0, 0)
        try check(amqp_get_rpc_reply(state), "queue.delete \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    // MARK: - publishing

    /// confirm.select: from now on the broker acks (or nacks) every publish on this channel.
    func enableConfirms() throws(RabbitMQError) {
        guard !confirming else { return }
        amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), "confirm.select")
        confirming = true
    }

    /// Publishes every message (mandatory: an unroutable one comes back), then waits for the
    /// broker's confirm of each: one outcome per message, in order.
    func publish(_ messages: [RabbitMQOutgoingMessage]) throws(RabbitMQError) -> [RabbitMQPublishOutcome] {
        guard !isBroken else { throw .connection("connection to \(endpoint) is broken") }
        try enableConfirms()
        let firstTag = nextPublishTag
        let arena = CArena()
        for message in messages {
            var properties = amqp_basic_properties_t()
            properties._flags = CLAB_AMQP_PROPERTY_FLAGS
            properties.content_type = arena.bytes(message.contentType)
            properties.delivery_mode = message.persistent ? 2 : 1
            properties.headers = arena.table(message.headers)
            properties.message_id = arena.bytes(message.messageID)
            properties.timestamp = UInt64(Date().timeIntervalSince1970)
            let status = amqp_basic_publish(
                state, channel, arena.bytes(message.exchange), arena.bytes(message.routingKey), 1, 0, &properties, arena.bytes(message.body)
            )
            guard status == 0 else {
                isBroken = true
                throw .connection("publish to \(endpoint): \(Self.errorText(status))")
            }
            nextPublishTag += 1
        }
        return try awaitConfirms(firstTag: firstTag, messageIDs: messages.map(\.messageID))
    }

    /// Reads frames until every tag from `firstTag` on is acked or nacked. A basic.return (the
    /// message was unroutable) comes before its ack and is matched by message id.
    private func awaitConfirms(firstTag: UInt64, messageIDs: [String]) throws(RabbitMQError) -> [RabbitMQPublishOutcome] {
        var outcomes = [RabbitMQPublishOutcome?](repeating: nil, count: messageIDs.count)
        var returned: [String: RabbitMQPublishOutcome] = [:]
        let deadline = ContinuousClock.now + operationTimeout
        defer { amqp_maybe_release_buffers(state) }

        func settle(_ tag: UInt64, multiple: Bool, _ outcome: RabbitMQPublishOutcome) {
            for index in outcomes.indices where outcomes[index] == nil {
                let own = firstTag + UInt64(index)
                if own == tag || (multiple && own < tag) { outcomes[index] = returned[messageIDs[index]] ?? outcome }
            }
        }

        while outcomes.contains(where: { $0 == nil }) {
            var frame = amqp_frame_t()
            var timeout = timeval(max(.zero, deadline - ContinuousClock.now))
            let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
            guard status == 0 else {
                isBroken = true
                if status == AMQP_STATUS_TIMEOUT.rawValue { throw .timeout("publisher confirm from \(endpoint)") }
                throw .connection("waiting for publisher confirms from \(endpoint): \(Self.errorText(status))")
            }
            guard frame.frame_type == CLAB_AMQP_FRAME_METHOD else { continue }
            let method = frame.payload.method
            switch method.id {
            case CLAB_AMQP_BASIC_ACK:
                let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                settle(ack.delivery_tag, multiple: ack.multiple != 0, .confirmed)
            case CLAB_AMQP_BASIC_NACK:
                let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
                settle(nack.delivery_tag, multiple: nack.multiple != 0, .rejected)
            case CLAB_AMQP_BASIC_RETURN:
                let back = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
                let reason = "\(back.reply_code) \(back.reply_text.string)"
                var message = amqp_message_t()
                try check(amqp_read_message(state, frame.channel, &message, 0), "reading a returned message")
                if message.properties._flags & CLAB_AMQP_MESSAGE_ID_FLAG != 0 {
                    returned[message.properties.message_id.string] = .returned(reason)
                }
                amqp_destroy_message(&message)
            case CLAB_AMQP_CHANNEL_CLOSE, CLAB_AMQP_CONNECTION_CLOSE:
                isBroken = true
                throw Self.serverError(method)
            default:
                continue
            }
        }
        return outcomes.map { $0! }
    }

    // MARK: - consuming

    /// basic.qos + basic.consume with manual acknowledgements.
    func startConsuming(_ queue: String, prefetch: Int, tag: String) throws(RabbitMQError) {
        amqp_basic_qos(state, channel, 0, UInt16(clamping: prefetch), 0)
        try check(amqp_get_rpc_reply(state), "basic.qos")
        let arena = CArena()
        amqp_basic_consume(state, channel, arena.bytes(queue), arena.bytes(tag), 0, 0, 0, arena.table([:]))
        try check(amqp_get_rpc_reply(state), "basic.consume \(queue)")
    }

    /// The connection's socket, to wait on with poll(2).
    var socketDescriptor: Int32 { amqp_get_sockfd(state) }

    /// Whether frames are already read from the socket and waiting in the library's buffers
    /// (poll(2) would not report them).
    var hasBufferedInput: Bool { amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0 }

    /// The next delivery, or nil when none arrives within `timeout` (zero: only what is already
    /// readable).
    func nextDelivery(timeout: Duration) throws(RabbitMQError) -> AMQPIncoming? {
        guard !isBroken else { throw .connection("connection to \(endpoint) is broken") }
        amqp_maybe_release_buffers(state)
        var envelope = amqp_envelope_t()
        var wait = timeval(timeout)
        let reply = amqp_consume_message(state, &envelope, &wait, 0)
        if reply.reply_type == AMQP_RESPONSE_NORMAL {
            defer { amqp_destroy_envelope(&envelope) }
            let properties = envelope.message.properties
            let flags = properties._flags
            return AMQPIncoming(
                body: Array(envelope.message.body.buffer),
                headers: flags & CLAB_AMQP_HEADERS_FLAG != 0 ? AMQPValue.decode(properties.headers) : [:],
                messageID: flags & CLAB_AMQP_MESSAGE_ID_FLAG != 0 ? properties.message_id.string : nil,
                deliveryTag: envelope.delivery_tag, redelivered: envelope.redelivered != 0,
                exchange: envelope.exchange.string, routingKey: envelope.routing_key.string)
        }
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION {
            if reply.library_error == AMQP_STATUS_TIMEOUT.rawValue { return nil }
            if reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue {
                try readOtherFrame()
                return nil
            }
        }
        try check(reply, "basic.deliver")
        return nil
    }

    /// A frame that is not a delivery: the broker cancelling the consumer or closing the channel.
    private func readOtherFrame() throws(RabbitMQError) {
        var frame = amqp_frame_t()
        var timeout = timeval(operationTimeout)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
        guard status == 0 else {
            isBroken = true
            throw .connection("reading from \(endpoint): \(Self.errorText(status))")
        }
        guard frame.frame_type == CLAB_AMQP_FRAME_METHOD else { return }
        switch frame.payload.method.id {
        case CLAB_AMQP_BASIC_CANCEL:
            isBroken = true
            let cancel = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            throw .consumerCancelled(cancel.consumer_tag.string)
        case CLAB_AMQP_CHANNEL_CLOSE, CLAB_AMQP_CONNECTION_CLOSE:
            isBroken = true
            throw Self.serverError(frame.payload.method)
        default:
            return
        }
    }

    func settle(_ settlement: RabbitMQSettlement, tag: UInt64) throws(RabbitMQError) {
        let status: Int32
        switch settlement {
        case .ack: status = amqp_basic_ack(state, channel, tag, 0)
        case .nack(let requeue): status = amqp_basic_nack(state, channel, tag, 0, requeue ? 1 : 0)
        case .reject(let requeue): status = amqp_basic_reject(state, channel, tag, requeue ? 1 : 0)
        }
        guard status == 0 else {
            isBroken = true
            throw .connection("\(settlement) to \(endpoint): \(Self.errorText(status))")
        }
    }

    // MARK: - errors

    private func check(_ reply: amqp_rpc_reply_t, _ what: String) throws(RabbitMQError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            isBroken = true
            if reply.library_error == AMQP_STATUS_TIMEOUT.rawValue { throw .timeout(what) }
            throw .connection("\(what) on \(endpoint): \(Self.errorText(reply.library_error))")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            isBroken = true
            throw Self.serverError(reply.reply)
        default:
            isBroken = true
            throw .protocolError("\(what): no reply from \(endpoint)")
        }
    }

    private static func serverError(_ method: amqp_method_t) -> RabbitMQError {
        switch method.id {
        case CLAB_AMQP_CHANNEL_CLOSE:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            return .server(code: Int(close.reply_code), text: close.reply_text.string)
        case CLAB_AMQP_CONNECTION_CLOSE:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            return .server(code: Int(close.reply_code), text: close.reply_text.string)
        default:
            return .protocolError("unexpected method \(method.id)")
        }
    }

    private static func errorText(_ status: Int32) -> String {
        amqp_error_string2(status).map { String(cString: $0) } ?? "error \(status)"
    }
}

/// A message as the broker delivered it, copied out of rabbitmq-c's buffers.
struct AMQPIncoming: Sendable {
    var body: [UInt8]
    var headers: [String: AMQPValue]
    var messageID: String?
    var deliveryTag: UInt64
    var redelivered: Bool
    var exchange: String
    var routingKey: String
}

/// How a consumer settles a delivery.
public enum RabbitMQSettlement: Sendable, Equatable, CustomStringConvertible {
    case ack
    /// basic.nack: back to the queue (`requeue`) or dead-lettered/dropped.
    case nack(requeue: Bool)
    case reject(requeue: Bool)

    public var description: String {
        switch self {
        case .ack: "basic.ack"
        case .nack(let requeue): "basic.nack(requeue: \(requeue))"
        case .reject(let requeue): "basic.reject(requeue: \(requeue))"
        }
    }
}

/// rabbitmq-c wants `struct timeval`; sub-microsecond durations become 0 (do not wait).
private func timeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    return Glibc.timeval(tv_sec: Int(max(0, seconds)), tv_usec: Int(max(0, attoseconds) / 1_000_000_000_000))
}
