import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

@testable import LabKit

#if canImport(Glibc)
import Glibc
#endif

/// The control API over real HTTP (Hummingbird's live test client) against a running proxy.
final class FaultProxyAdminTests: FaultProxyTestCase {
    func testStateAndToxicLifecycle() async throws {
        let proxy: FaultProxy = self.proxy
        let redisPort = redisServer.port
        let app = FaultProxyAdmin.application(for: proxy, host: "127.0.0.1", port: 0, token: nil)
        try await app.test(.live) { client in
            let state = try await client.json("/proxy", .get)
            XCTAssertEqual(state.status, .ok)
            XCTAssertEqual(state.json["listen"]?.stringValue, "127.0.0.1:\(proxy.listenPort)")
            XCTAssertEqual(state.json["upstream"]?.stringValue, "127.0.0.1:\(redisPort)")
            XCTAssertEqual(state.json["enabled"], .bool(true))
            XCTAssertEqual(state.json["toxics"], .array([]))

            let created = try await client.json(
                "/toxics", .post,
                body: #"{"name":"slow","type":"latency","stream":"upstream","toxicity":0.5,"attributes":{"latency":200,"jitter":20}}"#)
            XCTAssertEqual(created.status, .created, "\(created.json)")
            XCTAssertEqual(
                proxy.toxics,
                [
                    Toxic(
                        name: "slow", kind: .latency(latency: .milliseconds(200), jitter: .milliseconds(20)), stream: .upstream,
                        toxicity: 0.5)
                ])

            // Defaults: stream downstream, toxicity 1, name <type>_<stream>.
            let defaulted = try await client.json("/toxics", .post, body: #"{"type":"timeout"}"#)
            XCTAssertEqual(defaulted.status, .created)
            XCTAssertEqual(defaulted.json["name"]?.stringValue, "timeout_downstream")
            XCTAssertEqual(defaulted.json["stream"]?.stringValue, "downstream")
            XCTAssertEqual(defaulted.json["toxicity"], .number(1))

            let listed = try await client.json("/toxics", .get)
            guard case .array(let toxics) = listed.json else { return XCTFail("\(listed.json)") }
            XCTAssertEqual(toxics.compactMap { $0["name"]?.stringValue }, ["slow", "timeout_downstream"])
            let one = try await client.json("/toxics/slow", .get)
            XCTAssertEqual(one.json["attributes"]?["latency"], .number(200))

            let duplicate = try await client.json("/toxics", .post, body: #"{"name":"slow","type":"latency","attributes":{"latency":1}}"#)
            XCTAssertEqual(duplicate.status, .conflict)

            let deleted = try await client.json("/toxics/slow", .delete)
            XCTAssertEqual(deleted.status, .noContent)
            let again = try await client.json("/toxics/slow", .delete)
            XCTAssertEqual(again.status, .notFound)
            XCTAssertEqual(proxy.toxics.map(\.name), ["timeout_downstream"])

            let reset = try await client.json("/toxics", .delete)
            XCTAssertEqual(reset.status, .noContent)
            XCTAssertEqual(proxy.toxics, [])
        }
    }

    func testValidationErrorsNameTheField() async throws {
        let proxy: FaultProxy = self.proxy
        let app = FaultProxyAdmin.application(for: proxy, host: "127.0.0.1", port: 0, token: nil)
        let cases: [(body: String, field: String)] = [
            ("{not json", "body"),
            ("[1,2]", "body"),
            (#"{"attributes":{}}"#, "type"),
            (#"{"type":"explode"}"#, "type"),
            (#"{"type":"timeout","stream":"sideways"}"#, "stream"),
            (#"{"type":"timeout","toxicity":2}"#, "toxicity"),
            (#"{"type":"timeout","toxicity":"all"}"#, "toxicity"),
            (#"{"type":"timeout","name":"has space"}"#, "name"),
            (#"{"type":"timeout","colour":"red"}"#, "colour"),
            (#"{"type":"latency","attributes":[]}"#, "attributes"),
            (#"{"type":"latency","attributes":{}}"#, "attributes.latency"),
            (#"{"type":"latency","attributes":{"latency":-5}}"#, "attributes.latency"),
            (#"{"type":"latency","attributes":{"latency":"fast"}}"#, "attributes.latency"),
            (#"{"type":"latency","attributes":{"latency":100,"latnecy":5}}"#, "attributes.latnecy"),
            (#"{"type":"bandwidth","attributes":{}}"#, "attributes.bytes_per_second"),
            (#"{"type":"bandwidth","attributes":{"bytes_per_second":0.5}}"#, "attributes.bytes_per_second"),
            (#"{"type":"slow_close","attributes":{}}"#, "attributes.delay"),
            (#"{"type":"reset_peer","attributes":{"timeout":true}}"#, "attributes.timeout"),
        ]
        try await app.test(.live) { client in
            for (body, field) in cases {
                let response = try await client.json("/toxics", .post, body: body)
                XCTAssertEqual(response.status, .badRequest, body)
                XCTAssertEqual(response.json["field"]?.stringValue, field, "\(body) → \(response.json)")
                XCTAssertTrue(response.json["error"]?.stringValue?.contains(field) == true, "\(response.json)")
            }
        }
        XCTAssertEqual(proxy.toxics, [], "nothing was installed by a bad request")
    }

    func testDownAndUpOverHTTP() async throws {
        let proxy: FaultProxy = self.proxy
        let app = FaultProxyAdmin.application(for: proxy, host: "127.0.0.1", port: 0, token: nil)
        try await app.test(.live) { client in
            let down = try await client.json("/proxy/down", .post)
            XCTAssertEqual(down.json["enabled"], .bool(false))
            XCTAssertThrowsError(try RawConnection(port: proxy.listenPort))
            let up = try await client.json("/proxy/up", .post)
            XCTAssertEqual(up.json["enabled"], .bool(true))
            let connection = try RawConnection(port: proxy.listenPort)
            try connection.send("PING\r\n")
            _ = try connection.receive(until: "+PONG\r\n")
        }
    }

    func testTokenIsRequiredWhenConfigured() async throws {
        let proxy: FaultProxy = self.proxy
        let app = FaultProxyAdmin.application(for: proxy, host: "127.0.0.1", port: 0, token: "sesame")
        try await app.test(.live) { client in
            let anonymous = try await client.json("/proxy/down", .post)
            XCTAssertEqual(anonymous.status, .forbidden)
            let wrong = try await client.json("/proxy/down", .post, headers: [.authorization: "Bearer nope"])
            XCTAssertEqual(wrong.status, .forbidden)
            XCTAssertTrue(proxy.isEnabled, "refused requests change nothing")
            let right = try await client.json("/proxy/down", .post, headers: [.authorization: "Bearer sesame"])
            XCTAssertEqual(right.status, .ok)
            XCTAssertFalse(proxy.isEnabled)
        }
    }

    func testNonLoopbackCallersAreRefusedUnlessTheyHaveTheToken() async throws {
        let proxy: FaultProxy = self.proxy
        guard let address = firstNonLoopbackIPv4Address() else {
            throw XCTSkip("this machine has no non-loopback IPv4 address to call from")
        }
        for token in [nil, "sesame"] as [String?] {
            // HummingbirdTesting's live mode binds to localhost, so run the app on all interfaces here.
            let (ports, portReady) = AsyncStream.makeStream(of: Int.self)
            let app = FaultProxyAdmin.application(for: proxy, host: "0.0.0.0", port: 0, token: token) { channel in
                portReady.yield(channel.localAddress?.port ?? 0)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService(gracefulShutdownSignals: []) }
                var iterator = ports.makeAsyncIterator()
                let announced = await iterator.next()
                let port = try XCTUnwrap(announced)

                // Connecting to our own eth0 address makes us a non-loopback caller.
                let outside = TestClient(host: address, port: port)
                outside.connect()
                let inside = TestClient(host: "127.0.0.1", port: port)
                inside.connect()
                do {
                    let refused = try await outside.execute(.init("/proxy", method: .get, authority: address))
                    XCTAssertEqual(refused.status, .forbidden, "caller \(address), token \(token ?? "none")")
                    if let token {
                        let allowed = try await outside.execute(
                            .init("/proxy", method: .get, authority: address, headers: [.authorization: "Bearer \(token)"]))
                        XCTAssertEqual(allowed.status, .ok)
                    }
                    // The same server answers a loopback caller without a token (when none is set).
                    let local = try await inside.execute(.init("/proxy", method: .get, authority: "127.0.0.1"))
                    XCTAssertEqual(local.status, token == nil ? .ok : .forbidden)
                } catch {
                    XCTFail("\(error)")
                }
                try await outside.shutdown()
                try await inside.shutdown()
                group.cancelAll()
            }
        }
    }
}

/// Toxic JSON and HOST:PORT parsing, without a server.
final class ToxicParsingTests: XCTestCase {
    func testEveryTypeParses() throws {
        func parse(_ text: String) throws -> Toxic { try Toxic(json: Array(text.utf8)) }
        XCTAssertEqual(
            try parse(#"{"type":"latency","attributes":{"latency":250.5,"jitter":10}}"#).kind,
            .latency(latency: .microseconds(250_500), jitter: .milliseconds(10)))
        XCTAssertEqual(try parse(#"{"type":"bandwidth","attributes":{"bytes_per_second":1000}}"#).kind, .bandwidth(bytesPerSecond: 1000))
        XCTAssertEqual(
            try parse(#"{"type":"bandwidth","attributes":{"rate":100}}"#).kind, .bandwidth(bytesPerSecond: 102_400), "Toxiproxy's KB/s")
        XCTAssertEqual(try parse(#"{"type":"reset_peer"}"#).kind, .resetPeer(after: .zero))
        XCTAssertEqual(try parse(#"{"type":"timeout","attributes":{"timeout":0}}"#).kind, .timeout(after: nil), "0: never close")
        XCTAssertEqual(try parse(#"{"type":"timeout","attributes":{"timeout":500}}"#).kind, .timeout(after: .milliseconds(500)))
        XCTAssertEqual(try parse(#"{"type":"slow_close","attributes":{"delay":100}}"#).kind, .slowClose(delay: .milliseconds(100)))
    }

    func testJSONRoundTrip() throws {
        let toxic = Toxic(name: "t1", kind: .bandwidth(bytesPerSecond: 4096), stream: .upstream, toxicity: 0.25)
        let encoded = toxic.json.encodedString()
        XCTAssertEqual(try Toxic(json: Array(encoded.utf8)), toxic)
    }

    func testHostPort() throws {
        XCTAssertEqual(try HostPort(parsing: "127.0.0.1:6379"), HostPort(host: "127.0.0.1", port: 6379))
        XCTAssertEqual(try HostPort(parsing: "redis.internal:1"), HostPort(host: "redis.internal", port: 1))
        XCTAssertEqual(try HostPort(parsing: "[::1]:8474"), HostPort(host: "::1", port: 8474))
        XCTAssertEqual(try HostPort(parsing: "127.0.0.1:0", allowPortZero: true).port, 0)
        XCTAssertEqual(HostPort(host: "::1", port: 5).description, "[::1]:5")
        let bad: [(String, String)] = [
            ("127.0.0.1", "missing ':PORT'"), (":80", "missing HOST"), ("h:0", "from 1 to 65535"),
            ("h:70000", "from 1 to 65535"), ("h:http", "port 'http'"), ("::1:80", "brackets"), ("[::1]80", "IPv6"),
        ]
        for (text, fragment) in bad {
            XCTAssertThrowsError(try HostPort(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(text): \(error)")
            }
        }
    }
}

private struct JSONResponse {
    let status: HTTPResponse.Status
    let json: JSONValue
}

extension TestClientProtocol {
    /// A request whose answer is JSON (or empty).
    fileprivate func json(
        _ uri: String, _ method: HTTPRequest.Method, headers: HTTPFields = [:], body: String? = nil
    ) async throws -> JSONResponse {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let json = response.body.readableBytes == 0 ? JSONValue.null : try JSONValue.parse(response.body.readableBytesView)
            return JSONResponse(status: response.status, json: json)
        }
    }
}

/// An IPv4 address of this machine other than 127.x (eth0's, typically).
func firstNonLoopbackIPv4Address() -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return nil }
    defer { freeifaddrs(list) }
    for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
        guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
            var inAddress = ipv4.pointee.sin_addr
            _ = inet_ntop(AF_INET, &inAddress, &text, socklen_t(INET_ADDRSTRLEN))
        }
        let ip = String(cString: text)
        if !ip.hasPrefix("127.") { return ip }
    }
    return nil
}
