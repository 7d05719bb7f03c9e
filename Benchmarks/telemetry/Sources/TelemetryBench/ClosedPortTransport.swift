import AsyncHTTPClient
import NIOCore
import Synchronization
import Telemetry

#if canImport(Glibc)
import Glibc
#endif

/// The transport services use — LabKit's `AsyncHTTPClientOTLPTransport` over `LabHTTPClient.shared` —
/// re-stated here because the benchmark does not build LabKit: a real HTTP POST, so a dead collector
/// costs what it costs in production.
final class AsyncHTTPClientTransport: OTLPTransport {
    private let client: HTTPClient
    private let posts = Atomic<Int>(0)

    /// - Parameter retryConnections: AsyncHTTPClient's `retryConnectionEstablishment`. LabKit turns it
    ///   off (a refused POST fails at once and the exporter's own backoff takes over); AsyncHTTPClient's
    ///   default, and `HTTPClient.shared`'s, is on: a refused connection is retried until the request's
    ///   deadline.
    init(retryConnections: Bool = false) {
        if retryConnections {
            client = .shared
        } else {
            // LabHTTPClient.shared's settings.
            var configuration = HTTPClient.Configuration()
            configuration.tracing.tracer = nil
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.timeout.connect = .seconds(3)
            client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        }
    }

    /// POSTs attempted so far (each retry is one).
    var attempts: Int { posts.load(ordering: .relaxed) }

    func post(url: String, body: [UInt8], contentType: String, timeout: Duration) async throws -> OTLPTransportResponse {
        posts.wrappingAdd(1, ordering: .relaxed)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        let nanoseconds = Int64(
            clamping: Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000))
        let response = try await client.execute(request, timeout: .nanoseconds(nanoseconds))
        let bytes = try await response.body.collect(upTo: 1024 * 1024)
        return OTLPTransportResponse(
            statusCode: Int(response.status.code), retryAfter: response.headers.first(name: "retry-after"),
            body: Array(bytes.readableBytesView))
    }
}

/// A loopback port nobody listens on: bound to learn a free port number, then closed, so every
/// connection attempt is refused — the collector is down.
func closedLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket() failed")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            precondition(bind(fd, raw, length) == 0, "bind() failed")
            precondition(getsockname(fd, raw, &length) == 0, "getsockname() failed")
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
