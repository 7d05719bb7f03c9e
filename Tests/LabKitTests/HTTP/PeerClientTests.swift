import Foundation
import HTTPTypes
import NIOHTTP1
import ServiceContextModule
import Synchronization
import Tracing
import XCTest

@testable import LabKit

final class PeerClientTests: XCTestCase {
    /// A peer that echoes the propagation headers it received.
    private func startEchoPeer() async throws -> RunningService {
        try await RunningService.start(name: "echo-peer") { service in
            service.router.get("/echo") { request, _ -> Response in
                .json([
                    "traceparent": .string(request.headers[HTTPField.Name("traceparent")!] ?? ""),
                    "timeout_ms": .string(request.headers[HTTPField.Name("x-request-timeout-ms")!] ?? ""),
                ])
            }
            service.router.get("/slow") { _, _ in
                try await Task.sleep(for: .seconds(3))
                return "late"
            }
        }
    }

    func testClientSpanIsTheParentOfTheCalleeViaTraceparent() async throws {
        let peer = try await startEchoPeer()
        addTeardownBlock { await peer.stop() }
        let client = PeerClient(name: "echo", baseURL: peer.baseURL)

        let reply = try await withSpan("test-root") { _ in try await client.get("/echo", route: "/echo") }
        XCTAssertEqual(reply.status, 200)
        let traceparent = try XCTUnwrap(reply.json["traceparent"]?.stringValue)
        let parts = traceparent.split(separator: "-")
        XCTAssertEqual(parts.count, 4, traceparent)

        let found744 = try await TestTelemetry.spans(named: "GET /echo", where: { $0.kind == 3 }).first

        let clientSpan = try XCTUnwrap(found744, "no client span")
        XCTAssertEqual(String(parts[1]), clientSpan.traceHex)
        XCTAssertEqual(String(parts[2]), clientSpan.spanHex, "the callee's parent is our client span")
        XCTAssertEqual(clientSpan.attribute("http.request.method"), .string("GET"))
        XCTAssertEqual(clientSpan.attribute("server.address"), .string("127.0.0.1"))
        XCTAssertEqual(clientSpan.attribute("http.response.status_code"), .int(200))
        let roots = try await TestTelemetry.spans(named: "test-root", where: { $0.traceHex == clientSpan.traceHex })
        let root = try XCTUnwrap(roots.first { $0.traceHex == clientSpan.traceHex })
        XCTAssertEqual(clientSpan.parentHex, root.spanHex)

        let echoSpans = try await TestTelemetry.spans(named: "GET /echo", where: { $0.kind == 2 && $0.traceHex == clientSpan.traceHex })
        let serverSpan = try XCTUnwrap(echoSpans.first { $0.kind == 2 && $0.traceHex == clientSpan.traceHex })
        XCTAssertEqual(serverSpan.parentHex, clientSpan.spanHex, "one trace across the hop")

        let metrics = try await http(.GET, peer.baseURL + "/metrics").body
        XCTAssertTrue(
            metrics.contains(
                #"http_client_request_duration_seconds_count{server_address="127.0.0.1",http_request_method="GET",http_response_status_code="200"}"#
            ),
            metrics)
    }

    func testPerCallTimeoutIsHonoured() async throws {
        let peer = try await startEchoPeer()
        addTeardownBlock { await peer.stop() }
        let client = PeerClient(name: "echo", baseURL: peer.baseURL)
        let (outcome, seconds) = await timed { () async -> Result<PeerResponse, any Error> in
            do { return .success(try await client.get("/slow", timeout: .milliseconds(400))) } catch { return .failure(error) }
        }
        guard case .failure(let error) = outcome, case PeerError.timeout(peer: "echo", _) = error else {
            return XCTFail("expected a timeout, got \(outcome)")
        }
        XCTAssertLessThan(seconds, 2.5, "gave up long before the 3 s answer")
    }

    func testIncomingDeadlineCapsTheCallAndIsForwarded() async throws {
        let peer = try await startEchoPeer()
        addTeardownBlock { await peer.stop() }
        let client = PeerClient(name: "echo", baseURL: peer.baseURL)

        var context = ServiceContext.topLevel
        context.requestDeadline = .after(.seconds(2))
        let reply = try await ServiceContext.withValue(context) { try await client.get("/echo", timeout: .seconds(30)) }
        let forwarded = try XCTUnwrap(Int(reply.json["timeout_ms"]?.stringValue ?? ""))
        XCTAssert((500...2000).contains(forwarded), "forwarded the remaining budget, got \(forwarded)")

        context.requestDeadline = .after(.milliseconds(300))
        let (outcome, seconds) = await timed { () async -> (any Error)? in
            do { _ = try await ServiceContext.withValue(context) { try await client.get("/slow", timeout: .seconds(30)) } } catch {
                return error
            }
            return nil
        }
        XCTAssertNotNil(outcome, "the 300 ms deadline caps the 30 s timeout")
        XCTAssertLessThan(seconds, 2.5)

        context.requestDeadline = .after(.zero)
        do {
            _ = try await ServiceContext.withValue(context) { try await client.get("/echo") }
            XCTFail("an expired deadline must not call")
        } catch PeerError.deadlineExceeded(peer: "echo") {}
    }

    func testDeadlineHeaderOnAnIncomingRequestFlowsToTheNextHop() async throws {
        let peer = try await startEchoPeer()
        addTeardownBlock { await peer.stop() }
        let front = try await RunningService.start(name: "front", environment: ["ECHO_URL": peer.baseURL]) { service in
            let echo = try service.context.peer("echo")
            service.router.get("/relay") { _, _ in try await echo.get("/echo").json["timeout_ms"]?.stringValue ?? "" }
        }
        addTeardownBlock { await front.stop() }
        let answer = try await http(.GET, front.baseURL + "/relay", headers: [("x-request-timeout-ms", "1500")])
        let forwarded = try XCTUnwrap(Int(answer.body), answer.body)
        XCTAssert((300...1500).contains(forwarded), "\(forwarded)")
        let noDeadline = try await http(.GET, front.baseURL + "/relay")
        XCTAssertEqual(noDeadline.body, "", "no deadline in, none out")
    }

    func testUnreachablePeerIsUnavailableAndMissingURLIsNamed() async throws {
        let svc = try await RunningService.start(name: "closed")
        let closedPort = svc.port
        await svc.stop()
        let client = PeerClient(name: "gone", baseURL: "http://127.0.0.1:\(closedPort)")
        let (outcome, seconds) = await timed { () async -> (any Error)? in
            do { _ = try await client.get("/x", timeout: .seconds(8)) } catch { return error }
            return nil
        }
        guard case PeerError.unavailable(peer: "gone", _)? = outcome else { return XCTFail("\(String(describing: outcome))") }
        XCTAssertLessThan(seconds, 4, "a refused connection fails fast, not at the call timeout")

        let context = try LabContext(serviceName: "x", environment: [:])
        XCTAssertThrowsError(try context.peer("order-service")) { error in
            XCTAssertEqual("\(error)", "order-service: ORDER_SERVICE_URL is not set")
        }
    }
}
