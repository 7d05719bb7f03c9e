import Foundation
import LabControl
import Telemetry
import XCTest

@testable import LabKit

#if canImport(Glibc)
import Glibc
#endif

/// A real redis-server with a `FaultProxy` in front of it, both on free 127.0.0.1 ports.
class FaultProxyTestCase: RedisServerTestCase {
    var proxy: FaultProxy!
    var proxyMetrics: MetricsRegistry!

    override func setUp() async throws {
        try await super.setUp()
        proxyMetrics = MetricsRegistry()
        proxy = FaultProxy(
            name: "redis", upstreamHost: "127.0.0.1", upstreamPort: redisServer.port,
            metricsFactory: PrometheusMetricsFactory(registry: proxyMetrics))
        try await proxy.start()
    }

    override func tearDown() async throws {
        await proxy?.shutdown()
        try await super.tearDown()
    }

    /// A client that talks to Redis through the proxy.
    func makeProxiedClient(poolSize: Int = 2, commandTimeout: Duration = .seconds(5)) throws -> RedisClient {
        let client = try RedisClient(
            url: "redis://127.0.0.1:\(proxy.listenPort)/0", poolSize: poolSize, connectTimeout: .seconds(2),
            commandTimeout: commandTimeout)
        addTeardownBlock { await client.shutdown() }
        return client
    }

    /// How long `body` takes.
    func measure(_ body: () async throws -> Void) async rethrows -> Duration {
        let start = ContinuousClock.now
        try await body()
        return ContinuousClock.now - start
    }
}

/// A plain blocking TCP socket, for what a client library would hide: a reset, an EOF, timing.
final class RawConnection {
    let fd: Int32

    /// Connects to 127.0.0.1:`port`; throws the errno text (e.g. "Connection refused").
    init(port: Int, receiveTimeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = RawSocketError(errno: errno)
            close(fd)
            throw error
        }
        let (seconds, attoseconds) = receiveTimeout.components
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawSocketError(errno: errno) }
    }

    /// One recv(2): the bytes, or an empty array at EOF; throws on errors (ECONNRESET, EAGAIN on timeout).
    func receive(max: Int = 65536) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        guard count >= 0 else { throw RawSocketError(errno: errno) }
        return Array(buffer.prefix(count))
    }

    /// Reads until `text` has arrived in full.
    func receive(until text: String) throws -> String {
        var received: [UInt8] = []
        while !String(decoding: received, as: UTF8.self).contains(text) {
            let chunk = try receive()
            if chunk.isEmpty { throw RawSocketError(errno: 0) }
            received += chunk
        }
        return String(decoding: received, as: UTF8.self)
    }
}

struct RawSocketError: Error, Equatable, CustomStringConvertible {
    let errno: Int32
    var description: String { errno == 0 ? "EOF" : String(cString: strerror(errno)) }
}
