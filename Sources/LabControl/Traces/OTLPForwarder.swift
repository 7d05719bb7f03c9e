import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Sends copies of received OTLP requests on to another OTLP/HTTP endpoint (a real Collector or
/// Jaeger), so the native runtime can feed existing tools without Docker.
///
/// Best effort by design: requests wait in a bounded queue drained by one task; when the queue is
/// full new requests are dropped (and counted) instead of slowing down ingestion, and a failed send
/// is counted, not retried. The receiver never waits for the forwarder.
public final class OTLPForwarder: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var forwarded: Int = 0
        /// Sends that failed (connection error or a non-2xx answer).
        public var failed: Int = 0
        /// Requests dropped because the queue was full.
        public var dropped: Int = 0
        public var lastError: String?
    }

    /// A request body as received, with the headers needed to replay it.
    struct Item: Sendable {
        var body: [UInt8]
        var contentType: String
        var contentEncoding: String?
    }

    /// Where requests go: the full `/v1/traces` URL.
    public let tracesURL: String
    private let queue: AsyncStream<Item>.Continuation
    private let stream: AsyncStream<Item>
    private let stats = Mutex(Statistics())
    private let drainTask = Mutex<Task<Void, Never>?>(nil)
    private let timeout: TimeAmount

    /// - Parameters:
    ///   - tracesURL: e.g. `http://127.0.0.1:4318/v1/traces`.
    ///   - capacity: requests that may wait; beyond that, new ones are dropped.
    public init(tracesURL: String, capacity: Int = 256, timeout: TimeAmount = .seconds(5)) {
        self.tracesURL = tracesURL
        self.timeout = timeout
        (stream, queue) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(capacity))
    }

    /// The forwarder the standard OpenTelemetry variables ask for, or nil when none is set:
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as is, `OTEL_EXPORTER_OTLP_ENDPOINT` gets `/v1/traces`
    /// appended (as the OTLP exporter specification says).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> OTLPForwarder? {
        if let url = environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], !url.isEmpty {
            return OTLPForwarder(tracesURL: url)
        }
        if let base = environment["OTEL_EXPORTER_OTLP_ENDPOINT"], !base.isEmpty {
            return OTLPForwarder(tracesURL: base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces")
        }
        return nil
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    /// Starts the task that drains the queue (idempotent).
    public func start() {
        drainTask.withLock { task in
            guard task == nil else { return }
            task = Task { [stream] in
                for await item in stream { await self.send(item) }
            }
        }
    }

    private func send(_ item: Item) async {
        do {
            var request = HTTPClientRequest(url: tracesURL)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: item.contentType)
            if let encoding = item.contentEncoding { request.headers.add(name: "Content-Encoding", value: encoding) }
            request.headers.add(name: OTLPReceiver.forwardedHeader, value: "1")
            request.body = .bytes(ByteBuffer(bytes: item.body))
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 1 << 20)
            if (200..<300).contains(Int(response.status.code)) {
                stats.withLock { $0.forwarded += 1 }
            } else {
                stats.withLock {
                    $0.failed += 1
                    $0.lastError = "\(tracesURL) answered \(response.status.code)"
                }
            }
        } catch {
            stats.withLock {
                $0.failed += 1
                $0.lastError = "\(tracesURL): \(error)"
            }
        }
    }

    /// Queues a copy; never waits. Returns false if it was dropped because the queue is full.
    @discardableResult
    func enqueue(_ item: Item) -> Bool {
        switch queue.yield(item) {
        case .enqueued: return true
        case .dropped, .terminated:
            stats.withLock { $0.dropped += 1 }
            return false
        @unknown default: return false
        }
    }

    /// Stops accepting requests and waits (up to `grace`) for the queued ones to be sent.
    public func stop(grace: Duration = .seconds(2)) async {
        queue.finish()
        guard let task = drainTask.withLock({ $0 }) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await task.value }
            group.addTask {
                try? await Task.sleep(for: grace)
                task.cancel()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
