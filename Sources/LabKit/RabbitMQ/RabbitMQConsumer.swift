import Foundation
import NIOPosix
import Synchronization
import Tracing

#if canImport(Glibc)
import Glibc
#endif

/// One consumer of one queue, with manual acknowledgements, on a connection and thread of its own.
///
/// The thread waits on the socket (poll(2)) and hands each delivery to `deliveries`; at most
/// `prefetch` are unacknowledged at a time, so that stream never holds more. Acks and nacks come
/// from any task: they are queued, the thread is woken through a pipe, and the call returns once
/// the frame is written (rabbitmq-c connections are single-threaded, so only that thread writes).
///
/// `process` runs a handler per delivery in a `process <queue>` consumer span that continues the
/// producer's trace (the `traceparent` header). A handler that throws, or returns without
/// settling, gets its delivery nacked back to the queue.
public final class RabbitMQConsumer: Sendable {
    public let queue: String
    public let tag: String
    public let deliveries: AsyncThrowingStream<RabbitMQDelivery, Error>
    let metrics: RabbitMQClientMetrics.Consumer
    private let continuation: AsyncThrowingStream<RabbitMQDelivery, Error>.Continuation
    private let thread: NIOThreadPool
    private let control = Mutex(Control())
    /// A pipe whose read end the thread polls next to the socket: a byte written wakes it.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let loop = Mutex<Task<Void, Never>?>(nil)
    private let client: RabbitMQClient

    private struct Control {
        var pending: [(settlement: RabbitMQSettlement, tag: UInt64, done: CheckedContinuation<Void, Error>)] = []
        var stopping = false
        var finished = false
    }

    private init(queue: String, tag: String, thread: NIOThreadPool, client: RabbitMQClient) throws {
        self.queue = queue
        self.tag = tag
        self.thread = thread
        self.client = client
        self.metrics = client.metrics.consumer(queue)
        (deliveries, continuation) = AsyncThrowingStream.makeStream(of: RabbitMQDelivery.self)
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw RabbitMQError.connection("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        (wakeRead, wakeWrite) = (fds[0], fds[1])
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    static func start(
        configuration: RabbitMQConfiguration, queue: String, prefetch: Int, consumerTag: String, client: RabbitMQClient
    ) async throws -> RabbitMQConsumer {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        let opened: Result<AMQPConnection, RabbitMQError>
        do {
            opened = try await thread.runIfActive {
                do throws(RabbitMQError) {
                    let connection = try AMQPConnection.open(configuration)
                    try connection.startConsuming(queue, prefetch: prefetch, tag: consumerTag)
                    return .success(connection)
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
        let connection: AMQPConnection
        do {
            connection = try opened.get()
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
        let consumer = try RabbitMQConsumer(queue: queue, tag: consumerTag, thread: thread, client: client)
        consumer.loop.withLock { task in
            task = Task { [thread] in _ = try? await thread.runIfActive { consumer.run(connection) } }
        }
        return consumer
    }

    /// Runs `handler` for every delivery, `concurrency` at a time, each in a consumer span, until the
    /// consumer stops; cancelling the calling task stops the consumer.
    public func process(concurrency: Int = 1, _ handler: @escaping @Sendable (RabbitMQDelivery) async throws -> Void) async throws {
        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var running = 0
                for try await delivery in deliveries {
                    if running >= max(1, concurrency) {
                        try await group.next()
                        running -= 1
                    }
                    group.addTask { await self.handle(delivery, handler) }
                    running += 1
                }
                try await group.waitForAll()
            }
        } onCancel: {
            requestStop()
        }
    }

    private func handle(_ delivery: RabbitMQDelivery, _ handler: @Sendable (RabbitMQDelivery) async throws -> Void) async {
        let tracer = client.tracer
        var parent = ServiceContext.topLevel
        tracer.extract(delivery.headers, into: &parent, using: MessageHeadersExtractor())
        await tracer.withSpan("process \(queue)", context: parent, ofKind: .consumer) { span in
            span.attributes["messaging.system"] = "rabbitmq"
            span.attributes["messaging.operation.type"] = "process"
            span.attributes["messaging.destination.name"] = queue
            span.attributes["messaging.consumer.group.name"] = queue
            span.attributes["messaging.rabbitmq.message.delivery_tag"] = Int(truncatingIfNeeded: delivery.deliveryTag)
            if let id = delivery.messageID { span.attributes["messaging.message.id"] = id }
            span.attributes["messaging.message.body.size"] = delivery.body.count
            if delivery.redelivered { span.attributes["messaging.rabbitmq.redelivered"] = true }
            if delivery.deliveryCount > 0 { span.attributes["messaging.rabbitmq.delivery_count"] = delivery.deliveryCount }
            delivery.attach(span)
            do {
                try await handler(delivery)
                if !delivery.isSettled { try? await delivery.nack(requeue: true) }
            } catch {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
                if !delivery.isSettled { try? await delivery.nack(requeue: true) }
            }
        }
    }

    /// Stops consuming: the connection closes, and the broker requeues every delivery that was
    /// not acknowledged. Returns once the thread has finished.
    public func stop() async {
        requestStop()
        await loop.withLock { $0 }?.value
        try? await thread.shutdownGracefully()
    }

    private func requestStop() {
        control.withLock { $0.stopping = true }
        wakeUp()
    }

    // MARK: - settling (any task)

    func settle(_ settlement: RabbitMQSettlement, tag: UInt64) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            let accepted = control.withLock { control -> Bool in
                guard !control.finished else { return false }
                control.pending.append((settlement, tag, done))
                return true
            }
            if accepted { wakeUp() } else { done.resume(throwing: RabbitMQError.closed) }
        }
        metrics.settled(settlement)
    }

    private func wakeUp() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1) // EAGAIN: the pipe is full, the thread is awake anyway
    }

    // MARK: - the consumer's thread

    private func run(_ connection: AMQPConnection) {
        var failure: Error?
        while failure == nil {
            let (pending, stopping) = control.withLock { control in
                defer { control.pending.removeAll() }
                return (control.pending, control.stopping)
            }
            for item in pending {
                do throws(RabbitMQError) {
                    try connection.settle(item.settlement, tag: item.tag)
                    item.done.resume()
                } catch {
                    item.done.resume(throwing: error)
                    failure = error
                }
            }
            if stopping || failure != nil { break }
            if !connection.hasBufferedInput && !waitForInput(connection.socketDescriptor) { continue }
            do throws(RabbitMQError) {
                if let incoming = try connection.nextDelivery(timeout: .zero) {
                    metrics.delivered.increment()
                    if incoming.redelivered { metrics.redelivered.increment() }
                    continuation.yield(RabbitMQDelivery(incoming, queue: queue, consumer: self))
                }
            } catch {
                failure = error
            }
        }
        connection.close()
        let left = control.withLock { control in
            control.finished = true
            defer { control.pending.removeAll() }
            return control.pending
        }
        for item in left { item.done.resume(throwing: RabbitMQError.closed) }
        if let failure { continuation.finish(throwing: failure) } else { continuation.finish() }
    }

    /// Waits up to a second for the socket (true) or the wake-up pipe (false, drained).
    private func waitForInput(_ socket: Int32) -> Bool {
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, 1_000)
        if fds[1].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &buffer, buffer.count) > 0 {}
        }
        return fds[0].revents != 0
    }
}

/// One message as the broker delivered it to a consumer, to be settled exactly once.
public final class RabbitMQDelivery: Sendable {
    public let queue: String
    public let body: [UInt8]
    public let headers: [String: AMQPValue]
    public let messageID: String?
    public let deliveryTag: UInt64
    /// The broker delivered it before (to this or another consumer) without an ack.
    public let redelivered: Bool
    public let exchange: String
    public let routingKey: String
    private let consumer: RabbitMQConsumer
    private let settled = Atomic<Bool>(false)
    private let span = Mutex<(any Span)?>(nil)

    init(_ incoming: AMQPIncoming, queue: String, consumer: RabbitMQConsumer) {
        self.queue = queue
        self.body = incoming.body
        self.headers = incoming.headers
        self.messageID = incoming.messageID
        self.deliveryTag = incoming.deliveryTag
        self.redelivered = incoming.redelivered
        self.exchange = incoming.exchange
        self.routingKey = incoming.routingKey
        self.consumer = consumer
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Earlier deliveries of this message: quorum queues count them in `x-delivery-count`
    /// (absent on the first delivery).
    public var deliveryCount: Int { headers["x-delivery-count"]?.intValue ?? 0 }

    public var isSettled: Bool { settled.load(ordering: .relaxed) }

    /// The `process <queue>` span `RabbitMQConsumer.process` runs the handler in (nil outside it):
    /// a handler marks a failure on it. The settlement is recorded on it as
    /// `messaging.rabbitmq.settlement`.
    public var processingSpan: (any Span)? { span.withLock { $0 } }

    func attach(_ processing: any Span) { span.withLock { $0 = processing } }

    /// basic.ack: done with it; the broker forgets it.
    public func ack() async throws { try await settle(.ack) }

    /// basic.nack: `requeue` puts it back in the queue (delivered again, soon); otherwise it is
    /// dead-lettered (or dropped when the queue has no dead-letter exchange).
    public func nack(requeue: Bool) async throws { try await settle(.nack(requeue: requeue)) }

    public func reject(requeue: Bool) async throws { try await settle(.reject(requeue: requeue)) }

    private func settle(_ settlement: RabbitMQSettlement) async throws {
        // A second settlement of the same tag would make the broker close the channel.
        guard settled.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        processingSpan?.attributes["messaging.rabbitmq.settlement"] = "\(settlement)"
        try await consumer.settle(settlement, tag: deliveryTag)
    }
}
