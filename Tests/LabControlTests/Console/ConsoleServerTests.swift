import AsyncHTTPClient
import Foundation
import LabKit
import NIOCore
import XCTest

@testable import LabControl

/// The console's HTTP surface without a lab: Jaeger's query API over a store of fixture traces, bad
/// input (404/400 naming the parameter, in Jaeger's envelope), who may post controls, and the assets.
final class ConsoleServerTests: XCTestCase {
    var directory: TestDirectory!
    var server: ConsoleServer!
    var base = ""

    override func setUp() async throws {
        directory = try TestDirectory()
        let store = try TraceStore(directory: directory.url.appendingPathComponent("traces").path)
        for n in 1...3 {
            try store.append(
                TraceFixtures.request(TraceFixtures.checkout(trace: UInt64(n), offset: Double(n) * 1000, namespace: "selftest")))
        }
        let lab = ConsoleLab(
            catalog: try LabCatalog.load(root: Fixtures.labsDirectory), store: store,
            options: RuntimeOptions(stateDirectory: directory.url))
        server = ConsoleServer(lab: lab)
        base = "http://127.0.0.1:\(try await server.start())"
    }

    override func tearDown() async throws {
        await server.stop()
        directory.remove()
    }

    struct Answer {
        var status: Int
        var json: [String: Any]
        var text: String
        var contentType: String
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Answer {
        try await send("GET", path, headers: headers)
    }

    func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 8 << 20))
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Answer(
            status: Int(response.status.code), json: json, text: text, contentType: response.headers.first(name: "Content-Type") ?? "")
    }

    func jaegerError(_ answer: Answer) -> String {
        ((answer.json["errors"] as? [[String: Any]])?.first?["msg"] as? String) ?? ""
    }

    // MARK: Jaeger's API

    func testServicesOperationsAndTraces() async throws {
        let services = try await get("/api/services")
        XCTAssertEqual(services.status, 200)
        XCTAssertEqual(services.json["data"] as? [String], ["frontend", "inventory"])
        XCTAssertTrue(services.json["errors"] is NSNull)

        let operations = try await get("/api/services/frontend/operations")
        XCTAssertEqual(operations.json["data"] as? [String], ["GET /checkout", "GET /inventory", "POST /pay"])
        let kinds = try await get("/api/operations?service=frontend&spanKind=server")
        XCTAssertEqual((kinds.json["data"] as? [[String: String]])?.map { $0["name"] }, ["GET /checkout"])

        let found = try await get("/api/traces?service=inventory&minDuration=70ms&limit=2&lookback=1h")
        XCTAssertEqual(found.status, 200)
        let traces = try XCTUnwrap(found.json["data"] as? [[String: Any]])
        XCTAssertEqual(traces.count, 2, "limit")
        XCTAssertEqual((traces[0]["spans"] as? [Any])?.count, 4)

        let tagged = try await get(
            "/api/traces?service=inventory&tags=" + "{\"error\":\"true\"}".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        XCTAssertEqual((tagged.json["data"] as? [Any])?.count, 3)

        let id = TraceFixtures.traceID(2).hex
        let one = try await get("/api/traces/\(id)")
        XCTAssertEqual(one.status, 200)
        XCTAssertEqual(((one.json["data"] as? [[String: Any]])?.first)?["traceID"] as? String, id)
        let byQuery = try await get("/api/traces?traceID=\(id)&traceID=\(TraceFixtures.traceID(3).hex)")
        XCTAssertEqual((byQuery.json["data"] as? [Any])?.count, 2)

        let dependencies = try await get(
            "/api/dependencies?endTs=\(UInt64(Date().timeIntervalSince1970 * 1000))&lookback=\(UInt64(100) * 365 * 86_400_000)")
        XCTAssertEqual((dependencies.json["data"] as? [[String: Any]])?.first?["callCount"] as? Int, 3)
    }

    func testBadInputIs404Or400NamingTheParameter() async throws {
        let unknown = try await get("/api/traces/" + String(repeating: "ab", count: 16))
        XCTAssertEqual(unknown.status, 404)
        XCTAssertTrue(unknown.json["data"] is NSNull)
        XCTAssertEqual((unknown.json["errors"] as? [[String: Any]])?.first?["code"] as? Int, 404)
        XCTAssertTrue(unknown.contentType.hasPrefix("application/json"))

        for (query, parameter) in [
            ("service=frontend&minDuration=5xs", "minDuration"), ("service=frontend&maxDuration=fast", "maxDuration"),
            ("service=frontend&limit=-1", "limit"), ("service=frontend&start=yesterday", "start"), ("service=frontend&end=1e9", "end"),
            ("service=frontend&tags=%7Bnot-json", "tags"), ("service=frontend&tag=nocolon", "tag"),
            ("service=frontend&minDuration=2s&maxDuration=1s", "maxDuration"), ("minDuration=1s", "service"),
        ] {
            let answer = try await get("/api/traces?" + query)
            XCTAssertEqual(answer.status, 400, query)
            XCTAssertTrue(jaegerError(answer).contains("'\(parameter)'"), "\(query): \(jaegerError(answer))")
            XCTAssertEqual((answer.json["errors"] as? [[String: Any]])?.first?["parameter"] as? String, parameter, query)
        }
        let malformedID = try await get("/api/traces/not-hex")
        XCTAssertEqual(malformedID.status, 400)
        XCTAssertTrue(jaegerError(malformedID).contains("traceID"))

        // The console's own API answers {"error", "parameter"}.
        let search = try await get("/console/api/traces?errors=maybe")
        XCTAssertEqual(search.status, 400)
        XCTAssertEqual(search.json["parameter"] as? String, "errors")
        let window = try await get("/console/api/panels?seconds=soon")
        XCTAssertEqual(window.status, 400)
        XCTAssertEqual(window.json["parameter"] as? String, "seconds")
        let noPage = try await get("/nowhere")
        XCTAssertEqual(noPage.status, 404)
        XCTAssertNotNil(noPage.json["error"])
    }

    // MARK: Who may do what

    func testControlsNeedTheTokenAndThisHost() async throws {
        let body = #"{"service": "api"}"#
        let noToken = try await send("POST", "/console/api/control/kill", body: body)
        XCTAssertEqual(noToken.status, 403)
        XCTAssertTrue((noToken.json["error"] as? String ?? "").contains("token"))
        let wrongToken = try await send("POST", "/console/api/control/kill", headers: [("X-Console-Token", "0123")], body: body)
        XCTAssertEqual(wrongToken.status, 403)
        let foreignOrigin = try await send(
            "POST", "/console/api/control/kill",
            headers: [("X-Console-Token", server.token), ("Origin", "http://evil.example")], body: body)
        XCTAssertEqual(foreignOrigin.status, 403)
        // DNS rebinding: a page at another name that resolves to 127.0.0.1 sends that name as Host.
        let rebound = try await get("/api/services", headers: [("Host", "evil.example:\(server.port!)")])
        XCTAssertEqual(rebound.status, 403)
        // With the token, the control runs and says why it cannot act.
        let allowed = try await send("POST", "/console/api/control/kill", headers: [("X-Console-Token", server.token)], body: body)
        XCTAssertEqual(allowed.status, 409)
        XCTAssertEqual(allowed.json["error"] as? String, "no lab is running")
        let unknownVerb = try await send("POST", "/console/api/control/explode", headers: [("X-Console-Token", server.token)], body: "{}")
        XCTAssertEqual(unknownVerb.status, 404)
        XCTAssertEqual(unknownVerb.json["parameter"] as? String, "verb")
        let notJSON = try await send("POST", "/console/api/control/fault", headers: [("X-Console-Token", server.token)], body: "{oops")
        XCTAssertEqual(notJSON.status, 400)
        XCTAssertEqual(notJSON.json["parameter"] as? String, "body")
    }

    // MARK: Pages and assets

    func testPagesCarryTheTokenAndAssetsAreLocal() async throws {
        let home = try await get("/")
        XCTAssertEqual(home.status, 200)
        XCTAssertTrue(home.text.contains(#"<meta name="console-token" content="\#(server.token)">"#))
        XCTAssertTrue(home.text.contains(#"<script src="/assets/chart.min.js"></script>"#))
        XCTAssertFalse(home.text.contains("http://") || home.text.contains("https://"), "no asset from elsewhere")
        let script = try await get("/assets/console.js")
        XCTAssertEqual(script.status, 200)
        XCTAssertTrue(script.contentType.hasPrefix("text/javascript"))
        let chart = try await get("/assets/chart.min.js")
        XCTAssertEqual(chart.status, 200, "Chart.js from Debian's libjs-chart.js (make setup installs it): \(chart.text)")
        XCTAssertTrue(chart.text.contains("Chart"))
        let catalog = try await get("/console/api/catalog")
        XCTAssertEqual((catalog.json["labs"] as? [[String: Any]])?.map { $0["id"] as? String }, ["selftest", "week12"])
        let lab = try await get("/console/api/labs/selftest")
        XCTAssertEqual(lab.status, 200)
        XCTAssertFalse((lab.json["panels"] as? [Any] ?? []).isEmpty)
        let ambiguous = try await get("/console/api/traces/abcd")
        XCTAssertEqual(ambiguous.status, 400, "three stored traces start with abcd")
        XCTAssertEqual(ambiguous.json["parameter"] as? String, "traceID")
        let waterfall = try await get("/console/api/traces/\(TraceFixtures.traceID(1).hex)")
        XCTAssertEqual(waterfall.status, 200)
        XCTAssertEqual((waterfall.json["culprit"] as? [String: Any])?["service"] as? String, "inventory")
        XCTAssertEqual(waterfall.json["spanCount"] as? Int, 4)
    }
}
