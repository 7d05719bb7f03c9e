import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The embedded OTLP/HTTP trace receiver: `POST /v1/traces` on 127.0.0.1, into a `TraceStore`.
///
/// ```swift
/// let store = try TraceStore(directory: ".lab/traces")
/// let receiver = OTLPReceiver(store: store)          // port 4318, or a free one if 4318 is taken
/// let port = try await receiver.start()              // services get OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:\(port)
/// ...
/// await receiver.stop()
/// ```
/// What each request gets is decided by `OTLPIngest`. When `OTEL_EXPORTER_OTLP_ENDPOINT` (or
/// `..._TRACES_ENDPOINT`) is set for labctl, accepted requests are also forwarded there, best effort.
public final class OTLPReceiver: Sendable {
    public static let defaultPort = 4318
    /// Marks requests the forwarder sends, so two receivers pointed at each other cannot loop.
    public static let forwardedHeader = "X-Dlab-Forwarded"

    public struct Configuration: Sendable {
        public var host: String
        /// 0 asks the OS for a free port.
        public var port: Int
        /// When `port` is taken, bind a free port instead of failing.
        public var fallbackToFreePort: Bool
        public var maxBodyBytes: Int
        /// Where to forward accepted requests; nil forwards nothing.
        public var forwarder: OTLPForwarder?
        /// A connection that sends nothing for this long (idle, or stalled halfway through a request) is closed.
        public var idleTimeout: Duration
        /// A request body must arrive within this long, however slowly its bytes trickle in (else 408).
        public var bodyTimeout: Duration
        /// Compressed bodies waiting for (or in) the decompression thread; more get 503 at once.
        public var maxQueuedDecompressions: Int

        public init(
            host: String = "127.0.0.1", port: Int = OTLPReceiver.defaultPort, fallbackToFreePort: Bool = true,
            maxBodyBytes: Int = 8 << 20, forwarder: OTLPForwarder? = OTLPForwarder.fromEnvironment(),
            idleTimeout: Duration = .seconds(30), bodyTimeout: Duration = .seconds(30), maxQueuedDecompressions: Int = 4
        ) {
            self.host = host
            self.port = port
            self.fallbackToFreePort = fallbackToFreePort
            self.maxBodyBytes = maxBodyBytes
            self.forwarder = forwarder
            self.idleTimeout = idleTimeout
            self.bodyTimeout = bodyTimeout
            self.maxQueuedDecompressions = maxQueuedDecompressions
        }
    }

    public struct Statistics: Sendable, Equatable {
        public var requests = 0
        public var acceptedSpans = 0
        public var rejectedSpans = 0
        /// Answers by HTTP status (200, 400, 408, 413, 415, 503).
        public var responsesByStatus: [Int: Int] = [:]
        public var forwarding: OTLPForwarder.Statistics?
        /// Why forwarding is off although a forwarder was configured (e.g. it pointed at this receiver).
        public var forwardingDisabledReason: String?
    }

    /// A listening server: the task running it, its service group (to shut it down gracefully), its port,
    /// and the thread that inflates its compressed bodies.
    private struct Server: Sendable {
        var task: Task<Void, Never>
        var group: ServiceGroup
        var port: Int
        var decompression: DecompressionWorker
    }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    public let store: TraceStore
    public let configuration: Configuration
    private let ingest: OTLPIngest
    private let logger: Logger
    private let running = Mutex<Server?>(nil)
    private let stats = Mutex(Statistics())
    private let forwardingEnabled = Mutex(false)

    public init(store: TraceStore, configuration: Configuration = Configuration(), logger: Logger? = nil) {
        self.store = store
        self.configuration = configuration
        self.ingest = OTLPIngest(store: store, maxBodyBytes: configuration.maxBodyBytes)
        var log = logger ?? Logger(label: "labctl.otlp-receiver")
        if logger == nil { log.logLevel = .warning }
        self.logger = log
    }

    public convenience init(store: TraceStore, host: String = "127.0.0.1", port: Int = OTLPReceiver.defaultPort) {
        self.init(store: store, configuration: Configuration(host: host, port: port))
    }

    /// The port the receiver listens on, once started.
    public var port: Int? { running.withLock { $0?.port } }

    /// `http://127.0.0.1:PORT`, the value for the services' `OTEL_EXPORTER_OTLP_ENDPOINT`.
    public var endpoint: String? { port.map { "http://\(configuration.host):\($0)" } }

    public var statistics: Statistics {
        var s = stats.withLock { $0 }
        s.forwarding = configuration.forwarder?.statistics
        return s
    }

    /// Binds and starts serving; returns the bound port (the configured one, or a free one when it
    /// was taken and `fallbackToFreePort` is set). Throws if the server cannot start.
    @discardableResult
    public func start() async throws -> Int {
        if let port = self.port { return port }
        let server: Server
        do {
            server = try await launch(port: configuration.port)
        } catch  where configuration.fallbackToFreePort && configuration.port != 0 {
            logger.notice("OTLP port \(configuration.port) unavailable (\(error)); using a free port")
            server = try await launch(port: 0)
        }
        running.withLock { $0 = server }
        startForwarding(boundPort: server.port)
        return server.port
    }

    /// Stops serving: no new connections, in-flight requests finish (up to 5 s); then drains the
    /// forwarding queue briefly.
    public func stop() async {
        guard
            let server = running.withLock({ r -> Server? in
                defer { r = nil }
                return r
            })
        else { return }
        await server.group.triggerGracefulShutdown()
        await server.task.value
        await server.decompression.shutdown()
        if forwardingEnabled.withLock({ $0 }) { await configuration.forwarder?.stop() }
    }

    /// Starts, then serves until the calling task is cancelled; then stops.
    public func run() async throws {
        try await start()
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        await stop()
    }

    // MARK: Serving

    /// Runs a Hummingbird application on `port` in a task; returns once it listens or has failed.
    private func launch(port: Int) async throws -> Server {
        let (events, event) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let router = Router(context: BasicRequestContext.self)
        router.post("/v1/traces") { [self] request, _ in try await self.respond(to: request) }
        let idle = configuration.idleTimeout.components
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: port), serverName: nil),
            onServerRunning: { channel in event.yield(.success(channel.localAddress?.port ?? port)) },
            logger: logger
        )
        var groupConfiguration = ServiceGroupConfiguration(services: [.init(service: app)], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        let host = configuration.host
        let task = Task {
            do {
                try await group.run()
                event.yield(.failure(StartError(description: "OTLP receiver stopped before it started listening")))
            } catch {
                event.yield(.failure(StartError(description: "OTLP receiver could not listen on \(host):\(port): \(error)")))
            }
            event.finish()
        }
        for await result in events {
            switch result {
            case .success(let bound):
                let worker = DecompressionWorker(capacity: configuration.maxQueuedDecompressions)
                return Server(task: task, group: group, port: bound, decompression: worker)
            case .failure(let error):
                task.cancel()
                throw error
            }
        }
        throw StartError(description: "OTLP receiver did not start")
    }

    private func respond(to request: Request) async throws -> Response {
        let contentType = request.headers[.contentType]
        let contentEncoding = request.headers[.contentEncoding]
        let limit = configuration.maxBodyBytes
        let tooLarge = { (what: String) in
            OTLPIngest.failure(
                413, OTLPIngest.format(ofContentType: contentType) ?? .json, "request body \(what)exceeds the limit of \(limit) bytes")
        }
        var body: [UInt8] = []
        var answer: OTLPIngest.Answer
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            answer = tooLarge("of \(length) bytes ") // refused before reading a byte of it
        } else {
            do {
                if let collected = try await Self.collect(request.body, upTo: limit, within: configuration.bodyTimeout) {
                    body = Array(collected.readableBytesView)
                    answer = await handle(contentType: contentType, contentEncoding: contentEncoding, body: body)
                } else {
                    answer = OTLPIngest.failure(
                        408, OTLPIngest.format(ofContentType: contentType) ?? .json,
                        "the request body did not arrive within \(configuration.bodyTimeout)")
                }
            } catch is NIOTooManyBytesError {
                answer = tooLarge("")
            }
        }
        stats.withLock {
            $0.requests += 1
            $0.acceptedSpans += answer.acceptedSpans
            $0.rejectedSpans += answer.rejectedSpans
            $0.responsesByStatus[answer.status, default: 0] += 1
        }
        if answer.status == 200, answer.acceptedSpans > 0, let forwarder = configuration.forwarder,
            forwardingEnabled.withLock({ $0 }),
            !request.headers.contains(where: { $0.name.canonicalName == Self.forwardedHeader.lowercased() })
        {
            // Forward what was received, byte for byte (still compressed if it came compressed).
            forwarder.enqueue(.init(body: body, contentType: contentType ?? "application/x-protobuf", contentEncoding: contentEncoding))
        }
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        if answer.status == 503 { headers[.retryAfter] = "1" }
        if answer.status == 408 { headers[.connection] = "close" }
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// Uncompressed bodies are decoded right here; compressed ones on the decompression thread, or
    /// refused with 503 when it has `maxQueuedDecompressions` bodies already.
    private func handle(contentType: String?, contentEncoding: String?, body: [UInt8]) async -> OTLPIngest.Answer {
        let ingest = self.ingest
        guard OTLPIngest.isCompressed(contentEncoding), let worker = running.withLock({ $0?.decompression }) else {
            return ingest.handle(contentType: contentType, contentEncoding: contentEncoding, body: body)
        }
        if let answer = await worker.run({ ingest.handle(contentType: contentType, contentEncoding: contentEncoding, body: body) }) {
            return answer
        }
        return OTLPIngest.failure(
            503, OTLPIngest.format(ofContentType: contentType) ?? .json,
            "busy: \(worker.capacity) compressed bodies are already waiting to be inflated; retry shortly")
    }

    /// The whole body, or nil when it has not arrived within `timeout` (a client trickling it in).
    private static func collect(_ body: RequestBody, upTo limit: Int, within timeout: Duration) async throws -> ByteBuffer? {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: limit) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// Turns forwarding on unless the target is this very receiver (which would loop forever).
    private func startForwarding(boundPort: Int) {
        guard let forwarder = configuration.forwarder else { return }
        if let url = URL(string: forwarder.tracesURL), let host = url.host,
            ["127.0.0.1", "localhost", "::1", configuration.host].contains(host),
            (url.port ?? (url.scheme == "https" ? 443 : 80)) == boundPort
        {
            stats.withLock { $0.forwardingDisabledReason = "\(forwarder.tracesURL) is this receiver; not forwarding to itself" }
            return
        }
        forwarder.start()
        forwardingEnabled.withLock { $0 = true }
    }
}
