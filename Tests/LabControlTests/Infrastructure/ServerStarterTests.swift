import Foundation
import XCTest

@testable import LabControl

/// Each starter runs the real server, which answers a real client; after stop() nothing remains.
final class ServerStarterTests: XCTestCase {
    func testRedisAnswersPingAndStopsCleanly() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let redis = try await RedisServer.start(directory: dir.url.appendingPathComponent("redis"))
        XCTAssertEqual(redis.url, "redis://127.0.0.1:\(redis.port)")

        let reply = try await runTool("redis-cli", ["-h", "127.0.0.1", "-p", "\(redis.port)", "PING"], in: dir)
        XCTAssertEqual(reply.trimmingCharacters(in: .whitespacesAndNewlines), "PONG")

        await redis.stop()
        assertNothingRemains(of: redis.process, referencing: dir.url.path)
        XCTAssertFalse(FreePort.isListening(redis.port))
    }

    func testPostgresAppliesInitSQLAndAnswersOverTCP() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let pg = try await PostgresServer.start(
            directory: dir.url.appendingPathComponent("postgres"),
            initSQL: "CREATE TABLE books (id int PRIMARY KEY, title text); INSERT INTO books VALUES (1, 'SICP'), (2, 'TAOCP');")
        XCTAssertEqual(pg.url, "postgres://lab@127.0.0.1:\(pg.port)/lab")

        // Over TCP as the lab role (trust on loopback), the way services connect.
        let one = try await runTool(
            "psql", ["-X", "-At", "-h", "127.0.0.1", "-p", "\(pg.port)", "-U", "lab", "-d", "lab", "-c", "SELECT 1"], in: dir)
        XCTAssertEqual(one.trimmingCharacters(in: .whitespacesAndNewlines), "1")
        let count = try await runTool("psql", ["-X", "-At", pg.url, "-c", "SELECT count(*) FROM books"], in: dir)
        XCTAssertEqual(count.trimmingCharacters(in: .whitespacesAndNewlines), "2")

        await pg.stop()
        assertNothingRemains(of: pg.process, referencing: dir.url.path)
        XCTAssertFalse(FreePort.isListening(pg.port))
    }

    func testPostgresInitSQLErrorQuotesPsqlOutput() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        do {
            let pg = try await PostgresServer.start(
                directory: dir.url.appendingPathComponent("postgres"), initSQL: "CREATE TABLE broken (;")
            await pg.stop()
            XCTFail("a syntax error in initSQL must fail the start")
        } catch let error as ProgramFailedError {
            XCTAssertTrue("\(error)".contains("syntax error"), "\(error)")
        }
        try await waitUntil { ProcessTable.processes(referencing: dir.url.path).isEmpty }
    }

    func testPrometheusIsReadyScrapesAndHasExemplarStorage() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let deadPort = try FreePort.next()
        let prometheus = try await PrometheusServer.start(
            directory: dir.url.appendingPathComponent("prometheus"),
            scrapeTargets: [PrometheusScrapeJob(name: "ghost", targets: ["127.0.0.1:\(deadPort)"], labels: ["lab": "selftest"])])
        XCTAssertEqual(prometheus.baseURL.absoluteString, "http://127.0.0.1:\(prometheus.port)")
        XCTAssertEqual(Probe.httpGet(port: prometheus.port, path: "/-/ready")?.status, 200)

        let flags = try XCTUnwrap(Probe.httpGet(port: prometheus.port, path: "/api/v1/status/flags"))
        XCTAssertTrue(flags.body.contains("exemplar-storage"), flags.body)

        // The scrape loop runs: the unreachable target is recorded as up == 0 with our label.
        try await waitUntil {
            let result = Probe.httpGet(port: prometheus.port, path: "/api/v1/query?query=up%7Bjob%3D%22ghost%22%7D")
            return result?.body.contains(#""lab":"selftest""#) == true && result?.body.contains(#""0"]"#) == true
        }

        await prometheus.stop()
        assertNothingRemains(of: prometheus.process, referencing: dir.url.path)

        // The next start in the same directory (the next variant of a comparison) begins with an
        // empty database: the previous run's `ghost` series must not answer instant queries.
        let next = try await PrometheusServer.start(
            directory: dir.url.appendingPathComponent("prometheus"),
            scrapeTargets: [PrometheusScrapeJob(name: "other", targets: ["127.0.0.1:\(deadPort)"], labels: [:])])
        let stale = try XCTUnwrap(Probe.httpGet(port: next.port, path: "/api/v1/query?query=up%7Bjob%3D%22ghost%22%7D"))
        XCTAssertTrue(stale.body.contains(#""result":[]"#), stale.body)
        await next.stop()
    }

    func testPrometheusConfigRendersOneJobPerService() {
        let config = PrometheusConfig(
            jobs: [PrometheusScrapeJob(name: "frontend", targets: ["127.0.0.1:1", "127.0.0.1:2"], labels: ["lab": "x"])],
            ruleFiles: ["rules.yml"], offerScrapeProtocols: true, header: "generated")
        XCTAssertEqual(
            config.render(),
            """
            # generated
            global:
              scrape_interval: "1s"
              evaluation_interval: "1s"
              scrape_protocols: ["OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText0.0.4"]
            rule_files:
              - "rules.yml"
            scrape_configs:
              - job_name: "frontend"
                metrics_path: "/metrics"
                static_configs:
                  - targets: ["127.0.0.1:1", "127.0.0.1:2"]
                    labels:
                      lab: "x"

            """)
    }

    func testPrometheusVersionParsing() {
        let version = PrometheusVersion.parse("prometheus, version 2.42.0+ds (branch: debian/sid)")
        XCTAssertEqual(version, PrometheusVersion(major: 2, minor: 42))
        XCTAssertFalse(version!.supportsScrapeProtocols)
        XCTAssertTrue(PrometheusVersion.parse("prometheus, version 3.1.0")!.supportsScrapeProtocols)
    }

    // MARK: - helpers

    /// Runs a client program (redis-cli, psql) and returns its output.
    private func runTool(_ program: String, _ arguments: [String], in dir: TestDirectory) async throws -> String {
        let log = dir.url.appendingPathComponent("\(program)-\(UUID().uuidString.prefix(6)).out")
        try await ChildProcess.run(
            name: program, executable: try ProgramLocator.standard.find(program), arguments: arguments,
            directory: dir.url, logFile: log, timeout: .seconds(30))
        return try String(contentsOf: log, encoding: .utf8)
    }

    private func assertNothingRemains(
        of process: ChildProcess, referencing path: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertNotNil(process.exitStatus, "\(process.name) still runs", file: file, line: line)
        XCTAssertNil(ProcessTable.entry(process.pid), "\(process.name) left a process or zombie", file: file, line: line)
        XCTAssertEqual(ProcessTable.members(ofGroup: process.pgid), [], file: file, line: line)
        XCTAssertEqual(ProcessTable.processes(referencing: path), [], file: file, line: line)
    }
}
