import Foundation
import Hummingbird
import LabKit
import Logging
import Synchronization
import XCTest

@testable import LabControl

/// The compose scenario target: compose DNS addressing, and process control through the admin
/// API (with the token) — checked against a real HTTP server that records what arrived.
final class ComposeTargetTests: XCTestCase {
    func manifest() throws -> LabManifest {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let lab = directory.url.appendingPathComponent("labs/42-wiring")
        try FileManager.default.createDirectory(at: lab, withIntermediateDirectories: true)
        try ComposeGenerationTests.manifestText.write(to: lab.appendingPathComponent("lab.yaml"), atomically: true, encoding: .utf8)
        try "select 1;\n".write(to: lab.appendingPathComponent("init.sql"), atomically: true, encoding: .utf8)
        return try LabCatalog.load(root: directory.url.appendingPathComponent("labs")).resolve("wiring").manifest
    }

    func testAddressesServicesProxiesAndPrometheusByComposeName() throws {
        let target = ComposeTarget(manifest: try manifest(), adminToken: "t0ken")
        XCTAssertEqual(target.serviceURLs("back"), ["http://back-1:8080", "http://back-2:8080"], "a role: every replica")
        XCTAssertEqual(target.serviceURLs("back-2"), ["http://back-2:8080"], "an instance: that one")
        XCTAssertEqual(target.serviceURLs("front"), ["http://front:8080"])
        XCTAssertEqual(target.serviceURLs("nobody"), [])
        XCTAssertEqual(target.proxyAdminURL("redis"), "http://redis-proxy:8474")
        XCTAssertNil(target.proxyAdminURL("postgres"), "not proxied")
        XCTAssertEqual(target.prometheusURL, "http://prometheus:9090")
        XCTAssertEqual(target.adminToken, "t0ken")
        XCTAssertNil(ComposeTarget(manifest: try manifest(), adminToken: "").adminToken, "an empty token is none")
        // The scenario waits for every lab target: 3 instances and the Redis proxy.
        XCTAssertEqual(ComposeScenario(manifest: try manifest(), variant: "before", target: target).scrapeTargetCount, 4)
    }

    func testStopIsNotSupportedAndSaysWhy() async throws {
        let target = ComposeTarget(manifest: try manifest(), adminToken: nil)
        do {
            try await target.stop("back")
            XCTFail("stop must fail on the compose path")
        } catch {
            XCTAssertTrue("\(error)".contains("not supported on the compose path"), "\(error)")
        }
        do {
            try await target.kill("nobody")
            XCTFail("an unknown service is an error")
        } catch {
            XCTAssertTrue("\(error)".contains("no service 'nobody'"), "\(error)")
        }
    }

    func testKillSendsTheAbortFaultWithTheTokenAndActionsCarryTheToken() async throws {
        let server = try await AdminRecorder.start()
        let target = ComposeTarget(manifest: try manifest(), adminToken: "t0ken", readyTimeout: .seconds(5))
        try await target.abort(server.baseURL)
        try await target.waitUntilReady(server.baseURL)

        // Any LabTarget's admin token reaches the admin API through the action executor.
        let local = LocalTarget(url: server.baseURL, adminToken: "t0ken")
        try await ActionExecutor(lab: local).perform(
            .setFault(service: "back", fault: .object(["latency": .object(["fixed_ms": .number(5)])])))

        let seen = server.requests
        XCTAssertEqual(seen.count, 3, "\(seen)")
        XCTAssertEqual(seen[0].method, "PUT")
        XCTAssertEqual(seen[0].path, "/admin/faults")
        XCTAssertEqual(seen[0].authorization, "Bearer t0ken")
        XCTAssertTrue(seen[0].body.contains("\"abort\""), seen[0].body)
        XCTAssertEqual(seen[1].path, "/readyz")
        XCTAssertEqual(seen[2].authorization, "Bearer t0ken")
        XCTAssertTrue(seen[2].body.contains("fixed_ms"), seen[2].body)
        await server.stop()
    }

    func testCompareFromResultsFilesDecidesTheExpectations() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let text =
            ComposeGenerationTests.manifestText + """

                measurements:
                  - name: p50
                    loadgen: p50
                expectations:
                  - measurement: p50
                    check: after < before / 2
                """
        let lab = directory.url.appendingPathComponent("labs/42-wiring")
        try FileManager.default.createDirectory(at: lab, withIntermediateDirectories: true)
        try text.write(to: lab.appendingPathComponent("lab.yaml"), atomically: true, encoding: .utf8)
        try "select 1;\n".write(to: lab.appendingPathComponent("init.sql"), atomically: true, encoding: .utf8)
        let manifest = try LabCatalog.load(root: directory.url.appendingPathComponent("labs")).resolve("wiring").manifest
        let results = directory.url.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ComposeResults.comparison(for: manifest, directory: results), "no results yet")
        for (variant, value) in [("before", 0.4), ("after", 0.1)] {
            let json: [String: Any] = ["measurements": [["name": "p50", "values": [variant: value]]]]
            try JSONSerialization.data(withJSONObject: json).write(to: ComposeResults.file(in: results, variant: variant))
        }
        let comparison = try ComposeResults.comparison(for: manifest, directory: results)
        XCTAssertEqual(comparison.variants, ["before", "after"])
        XCTAssertTrue(comparison.holds, comparison.table())
        XCTAssertTrue(comparison.table().contains("PASS"))

        // A missing value is a failed expectation, not a pass.
        try JSONSerialization.data(withJSONObject: ["measurements": [["name": "p50", "values": ["after": ["missing": "no data"]]]]])
            .write(to: ComposeResults.file(in: results, variant: "after"))
        XCTAssertFalse(try ComposeResults.comparison(for: manifest, directory: results).holds)
    }

    /// `labctl compare --variants before`: expectations about variants left out are skipped, not
    /// failed; those about the variants that ran are still decided.
    func testExpectationsAboutVariantsLeftOutAreSkippedNotFailed() throws {
        let manifest = try ManifestParser.parse(
            yaml: ComposeGenerationTests.manifestText + """

                measurements:
                  - name: p50
                    loadgen: p50
                expectations:
                  - measurement: p50
                    check: after < before / 2
                  - measurement: p50
                    check: before < 1
                """)
        let ran = Comparison(lab: manifest, runs: [], values: ["p50": ["before": .number(0.4)]], skipping: ["after"])
        XCTAssertEqual(ran.verdicts.map(\.skipped), [true, false])
        XCTAssertTrue(ran.holds, ran.table())
        XCTAssertTrue(ran.table().contains("SKIP  p50: after < before / 2"), ran.table())
        XCTAssertTrue(ran.table().contains("every expectation that was run holds (1 skipped)"), ran.table())

        let failing = Comparison(lab: manifest, runs: [], values: ["p50": ["before": .number(3)]], skipping: ["after"])
        XCTAssertFalse(failing.holds)
        XCTAssertTrue(failing.table().contains("1 of 1 expectations do not hold (1 skipped)"), failing.table())

        // Without `skipping`, a variant with no values fails its expectations as before.
        XCTAssertFalse(Comparison(lab: manifest, runs: [], values: ["p50": ["before": .number(0.4)]]).holds)
    }
}

/// A LabTarget for one local server (every service name maps to it).
private struct LocalTarget: LabTarget {
    let url: String
    let adminToken: String?
    func serviceURLs(_ service: String) -> [String] { [url] }
    func proxyAdminURL(_ name: String) -> String? { url }
    var prometheusURL: String? { nil }
    func kill(_ service: String) async throws {}
    func stop(_ service: String) async throws {}
    func cont(_ service: String) async throws {}
    func restart(_ service: String) async throws {}
    func command(_ infrastructure: String, _ name: String, _ arguments: JSONValue) async throws -> String { "" }
}

/// A real HTTP server standing in for a lab service's admin API: records every request.
private final class AdminRecorder: Sendable {
    struct Seen: Sendable {
        var method: String
        var path: String
        var authorization: String?
        var body: String
    }
    final class Log: Sendable {
        private let entries = Mutex<[Seen]>([])
        func append(_ seen: Seen) { entries.withLock { $0.append(seen) } }
        var all: [Seen] { entries.withLock { $0 } }
    }
    let port: Int
    private let log: Log
    private let task: Task<Void, any Error>
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [Seen] { log.all }

    private init(port: Int, log: Log, task: Task<Void, any Error>) {
        self.port = port
        self.log = log
        self.task = task
    }

    static func start() async throws -> AdminRecorder {
        let log = Log()
        let router = Router()
        @Sendable func record(_ request: Request) async throws {
            let body = try await request.body.collect(upTo: 1 << 16)
            log.append(
                Seen(
                    method: request.method.rawValue, path: request.uri.path,
                    authorization: request.headers[.authorization], body: String(buffer: body)))
        }
        router.put("/admin/faults") { request, _ -> Response in
            try await record(request)
            return Response(status: .accepted)
        }
        router.get("/readyz") { request, _ -> String in
            try await record(request)
            return "ready"
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "admin-recorder")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw XCTSkip("test server did not start")
        }
        return AdminRecorder(port: port, log: log, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
