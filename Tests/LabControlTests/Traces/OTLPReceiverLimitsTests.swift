import AsyncHTTPClient
import Foundation
import NIOCore
import Telemetry
import XCTest

@testable import LabControl

#if canImport(Glibc)
import Glibc
#endif

/// What the receiver does with clients that hold on to it: idle and half-sent connections are closed,
/// a trickled body gets 408, and compressed bodies wait on their own thread, a bounded queue of them.
final class OTLPReceiverLimitsTests: XCTestCase {
    typealias F = TraceFixtures
    var dir: TestDirectory!

    override func setUpWithError() throws { dir = try TestDirectory("receiverlimits") }
    override func tearDown() { dir.remove() }

    func startReceiver(_ configure: (inout OTLPReceiver.Configuration) -> Void) async throws -> (OTLPReceiver, Int) {
        var configuration = OTLPReceiver.Configuration(port: 0, forwarder: nil)
        configure(&configuration)
        let receiver = OTLPReceiver(store: try TraceStore(directory: dir.url.path + "/traces"), configuration: configuration)
        return (receiver, try await receiver.start())
    }

    /// A raw loopback connection, to send exactly what a misbehaving client sends.
    final class RawConnection: @unchecked Sendable { // a file descriptor, used by one task at a time
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        }

        deinit { close(fd) }

        func send(_ text: String) {
            _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// Everything the server sends until it closes the connection, or nil if it is still open after `timeout`.
        func readUntilClosed(timeout: Double) -> String? {
            var received: [UInt8] = []
            let deadline = Date().addingTimeInterval(timeout)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 100) > 0 else { continue }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return String(decoding: received, as: UTF8.self) }
                received += buffer[0..<n]
            }
            return nil
        }
    }

    func testIdleAndHalfSentConnectionsAreClosed() async throws {
        let (receiver, port) = try await startReceiver { $0.idleTimeout = .seconds(1) }
        defer { Task { await receiver.stop() } }
        let idle = try RawConnection(port: port)
        let halfHead = try RawConnection(port: port)
        halfHead.send("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        let halfBody = try RawConnection(port: port)
        halfBody.send("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"res")
        XCTAssertNotNil(idle.readUntilClosed(timeout: 15), "an idle connection is closed")
        XCTAssertNotNil(halfHead.readUntilClosed(timeout: 15), "a connection stalled inside the request head is closed")
        XCTAssertNotNil(halfBody.readUntilClosed(timeout: 15), "a connection stalled inside the body is closed")
        await receiver.stop()
    }

    func testABodyTrickledInByteByByteGets408() async throws {
        let (receiver, port) = try await startReceiver {
            $0.bodyTimeout = .seconds(1)
            $0.idleTimeout = .seconds(60)
        }
        let connection = try RawConnection(port: port)
        connection.send("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        // One byte every 200 ms keeps the connection from ever being idle; the body deadline ends it.
        let sender = Task {
            for _ in 0..<100 where !Task.isCancelled {
                connection.send(" ")
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let answer = connection.readUntilClosed(timeout: 15)
        sender.cancel()
        await receiver.stop()
        let text = try XCTUnwrap(answer, "the connection was not answered or closed")
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 408"), text)
        XCTAssertTrue(text.contains("did not arrive within 1.0 seconds"), text)
    }

    /// Compressed bodies beyond the queue's capacity get 503 with Retry-After at once, while an
    /// uncompressed request sent amid them is stored.
    func testCompressedBodiesQueueBoundedOffTheRequestPath() async throws {
        let (receiver, port) = try await startReceiver {
            $0.maxQueuedDecompressions = 2
            $0.maxBodyBytes = 8 << 20
        }
        // 32 MB of zeros gzip to about 32 KB; each inflates to the 8 MB limit and is refused with 413.
        let raw = try TracePythonPeer.temporaryFile([UInt8](repeating: 0, count: 32 << 20))
        let gz = try TracePythonPeer.temporaryFile()
        defer {
            try? FileManager.default.removeItem(at: raw)
            try? FileManager.default.removeItem(at: gz)
        }
        try TracePythonPeer.run("codec_peer.py", ["gzip", "9", raw.path, gz.path])
        let bomb = [UInt8](try Data(contentsOf: gz))

        func post(_ body: [UInt8], encoding: String?) async throws -> (status: Int, retryAfter: String?) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/traces")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-protobuf")
            if let encoding { request.headers.add(name: "Content-Encoding", value: encoding) }
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            _ = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), response.headers.first(name: "Retry-After"))
        }
        let plain = F.request(F.checkout(trace: 7)).protobufBytes()
        let (bombs, plainStatus) = try await withThrowingTaskGroup(of: (Int, String?)?.self) { group in
            for _ in 0..<12 { group.addTask { try await post(bomb, encoding: "gzip") } }
            group.addTask {
                try await Task.sleep(for: .milliseconds(100))
                let (status, _) = try await post(plain, encoding: nil)
                return (status, "plain")
            }
            var bombs: [(Int, String?)] = []
            var plainStatus = 0
            for try await result in group {
                guard let result else { continue }
                if result.1 == "plain" { plainStatus = result.0 } else { bombs.append(result) }
            }
            return (bombs, plainStatus)
        }
        await receiver.stop()
        XCTAssertEqual(plainStatus, 200)
        XCTAssertNotNil(try receiver.store.trace(F.traceID(7)))
        XCTAssertEqual(bombs.count, 12)
        XCTAssertTrue(bombs.allSatisfy { $0.0 == 413 || $0.0 == 503 }, "\(bombs)")
        let busy = bombs.filter { $0.0 == 503 }
        XCTAssertGreaterThan(busy.count, 0, "12 bombs at once overflow a queue of 2: \(bombs)")
        XCTAssertTrue(busy.allSatisfy { $0.1 == "1" }, "503 says when to retry: \(busy)")
    }
}
