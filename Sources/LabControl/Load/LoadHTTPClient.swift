// The load generator's HTTP/1.1 client: a pool of keep-alive connections, one request at a time on
// each, and nothing else.
//
// Why not AsyncHTTPClient, which the lab services use to call each other? A load generator is
// judged by how little it costs per request, because on a small machine it shares the CPU with the
// system it measures. AsyncHTTPClient is a general client (redirects, TLS, streaming bodies, HTTP/2,
// connection-pool state machines); in Benchmarks/loadgen it topped out at ~42% of `wrk`'s throughput
// on the same route. Here a request is one write of head + body + end, and its response completes
// one promise when the response's end arrives: one hop from the event loop back to the waiting task.
// The response body is discarded as it streams in; only the status matters to the generator.

import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

final class LoadHTTPClient: Sendable {
    /// How a request failed; the generator counts `.timeout` as a timeout, the rest as connection errors.
    enum Failure: Error, Equatable {
        case timeout
        /// The connection closed (or failed) before the response ended.
        case connectionClosed
        case cannotConnect(String)
        case shutDown
    }

    /// What comes back: the status, and whether the connection may carry another request.
    struct Response: Sendable {
        var status: Int
        var keepAlive: Bool
    }

    private let host: String
    private let port: Int
    private let hostHeader: String
    private let pathPrefix: String
    private let maxConnections: Int
    private let group: any EventLoopGroup
    private let pool = Mutex(Pool())
    private let opened = Atomic<Int>(0)

    /// How many connections this client has opened so far (reuse shows as a small number).
    var connectionsOpened: Int { opened.load(ordering: .relaxed) }

    private struct Pool {
        var idle: [Channel] = []
        /// Connections open or being opened.
        var open = 0
        var waiters = CircularBuffer<CheckedContinuation<Channel?, Never>>()
        var isShutDown = false
        var all: [ObjectIdentifier: Channel] = [:]
    }

    /// - Parameter target: `http://host:port` with an optional path prefix.
    init(target: String, maxConnections: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        guard target.hasPrefix("http://") else {
            throw LoadPlanError(
                field: "target", problem: "must start with http:// (the load generator speaks plain HTTP/1.1), got \"\(target)\"")
        }
        let rest = target.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var prefix = String(rest.dropFirst(authority.count))
        if prefix.hasSuffix("/") { prefix.removeLast() }
        let (host, port): (String, Int)
        if let colon = authority.lastIndex(of: ":"), let parsed = Int(authority[authority.index(after: colon)...]) {
            (host, port) = (String(authority[..<colon]), parsed)
        } else {
            (host, port) = (String(authority), 80)
        }
        guard !host.isEmpty else { throw LoadPlanError(field: "target", problem: "no host in \"\(target)\"") }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.hostHeader = String(authority)
        self.pathPrefix = prefix
        self.maxConnections = max(1, maxConnections)
        self.group = group
    }

    /// Sends one request and waits for the end of its response, at most `timeout` in total
    /// (waiting for a free connection included).
    ///
    /// - Parameter loop: the event loop the calling task runs on (see `LoadEventLoopExecutor`), if
    ///   any: a connection on that loop is preferred, so the response wakes the task on its own thread.
    func execute(
        method: HTTPMethod, path: String, headers: HTTPHeaders, body: String?, timeout: Duration,
        on loop: (any EventLoop)? = nil
    ) async throws -> Int {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let channel = try await acquire(deadline: deadline, preferring: loop)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: pathPrefix + path)
        head.headers = headers
        if !headers.contains(name: "host") { head.headers.add(name: "host", value: hostHeader) }
        let bodyBuffer = body.map { ByteBuffer(string: $0) }
        if let bodyBuffer {
            head.headers.replaceOrAdd(name: "content-length", value: String(bodyBuffer.readableBytes))
        } else if method == .POST || method == .PUT || method == .PATCH {
            head.headers.replaceOrAdd(name: "content-length", value: "0")
        }
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let request = LoadRequest(head: head, body: bodyBuffer, deadline: deadline, response: promise)
        channel.writeAndFlush(request, promise: nil)
        let response: Response
        do {
            response = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            release(channel, reusable: false)
            throw error
        }
        release(channel, reusable: response.keepAlive)
        return response.status
    }

    /// Closes every connection; requests in flight fail with `connectionClosed`.
    func shutdown() async {
        let (channels, waiters) = pool.withLock { pool in
            pool.isShutDown = true
            let waiters = Array(pool.waiters)
            pool.waiters.removeAll()
            return (Array(pool.all.values), waiters)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        for channel in channels { try? await channel.close() }
    }

    // MARK: - The pool

    private enum Acquisition {
        case reuse(Channel)
        case connect
        case wait
        case shutDown
    }

    private func acquire(deadline: NIODeadline, preferring loop: (any EventLoop)?) async throws -> Channel {
        while true {
            let next = pool.withLock { pool -> Acquisition in
                if pool.isShutDown { return .shutDown }
                if let loop, let index = pool.idle.lastIndex(where: { $0.eventLoop === loop }) {
                    let channel = pool.idle.remove(at: index)
                    if channel.isActive { return .reuse(channel) }
                    pool.open -= 1
                    pool.all[ObjectIdentifier(channel)] = nil
                }
                while let channel = pool.idle.popLast() {
                    if channel.isActive { return .reuse(channel) }
                    pool.open -= 1 // the server closed it while idle
                    pool.all[ObjectIdentifier(channel)] = nil
                }
                if pool.open < maxConnections {
                    pool.open += 1
                    return .connect
                }
                return .wait
            }
            switch next {
            case .reuse(let channel):
                return channel
            case .shutDown:
                throw Failure.shutDown
            case .connect:
                do {
                    return try await connect(deadline: deadline, on: loop ?? group.next())
                } catch {
                    connectionGone()
                    throw error
                }
            case .wait:
                // Handed a channel by `release`, or nil when a slot freed up (connect then) or at shutdown.
                let handed = await withCheckedContinuation { continuation in
                    let queued = pool.withLock { pool -> Bool in
                        guard !pool.isShutDown, pool.open >= maxConnections, pool.idle.isEmpty else { return false }
                        pool.waiters.append(continuation)
                        return true
                    }
                    if !queued { continuation.resume(returning: nil) }
                }
                if let handed { return handed }
                if NIODeadline.now() >= deadline { throw Failure.timeout }
            }
        }
    }

    private func release(_ channel: Channel, reusable: Bool) {
        if reusable && channel.isActive {
            let waiter = pool.withLock { pool -> CheckedContinuation<Channel?, Never>? in
                if let waiter = pool.waiters.popFirst() { return waiter }
                pool.idle.append(channel)
                return nil
            }
            waiter?.resume(returning: channel)
        } else {
            channel.close(promise: nil)
            pool.withLock { $0.all[ObjectIdentifier(channel)] = nil }
            connectionGone()
        }
    }

    /// A connection slot is free: wake one waiter so that it opens a new connection.
    private func connectionGone() {
        let waiter = pool.withLock { pool -> CheckedContinuation<Channel?, Never>? in
            pool.open -= 1
            return pool.waiters.popFirst()
        }
        waiter?.resume(returning: nil)
    }

    private func connect(deadline: NIODeadline, on loop: any EventLoop) async throws -> Channel {
        let remaining = deadline - NIODeadline.now()
        guard remaining > .zero else { throw Failure.timeout }
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(remaining)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(LoadResponseHandler())
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch ChannelError.connectTimeout {
            throw Failure.timeout
        } catch {
            throw Failure.cannotConnect("\(error)")
        }
        opened.add(1, ordering: .relaxed)
        let kept = pool.withLock { pool -> Bool in
            guard !pool.isShutDown else { return false }
            pool.all[ObjectIdentifier(channel)] = channel
            return true
        }
        if !kept {
            try? await channel.close()
            throw Failure.shutDown
        }
        return channel
    }
}

/// One request as it travels down the pipeline to `LoadResponseHandler`.
struct LoadRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var deadline: NIODeadline
    var response: EventLoopPromise<LoadHTTPClient.Response>
}

/// Writes a `LoadRequest` as head, body and end, and completes its promise with the status when the
/// response ends (or fails it on timeout or close). One request at a time per connection.
final class LoadResponseHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = LoadRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<LoadHTTPClient.Response>?
    private var timer: Scheduled<Void>?
    private var status = 0
    private var keepAlive = true

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard pending == nil, context.channel.isActive else {
            request.response.fail(LoadHTTPClient.Failure.connectionClosed)
            return
        }
        pending = request.response
        status = 0
        keepAlive = true
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: request.deadline) { [self] in
            fail(.timeout)
            channel.close(promise: nil) // a late response must not be read as the next request's
        }
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            timer?.cancel()
            timer = nil
            let promise = pending
            pending = nil
            promise?.succeed(LoadHTTPClient.Response(status: status, keepAlive: keepAlive))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.connectionClosed)
        context.close(promise: nil)
    }

    private func fail(_ failure: LoadHTTPClient.Failure) {
        timer?.cancel()
        timer = nil
        let promise = pending
        pending = nil
        promise?.fail(failure)
    }
}
