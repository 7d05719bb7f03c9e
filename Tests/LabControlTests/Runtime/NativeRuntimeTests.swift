import Foundation
import XCTest

@testable import LabControl

/// The self-test lab comes up natively from Tests/Fixtures/labs with real Redis, PostgreSQL,
/// Prometheus and two `labsvc` processes, answers, is scraped, and leaves nothing behind.
/// Needs labsvc built (`swift build --product labsvc`; `swift build --build-tests` builds it).
final class NativeRuntimeTests: XCTestCase {
    var state: TestDirectory!

    override func setUp() async throws {
        state = try TestDirectory()
    }

    override func tearDown() async throws {
        // Whatever a failed test left running.
        await LabRuntime.down(stateDirectory: state.url)
        state.remove()
    }

    func selftest() throws -> LabCatalog.Entry {
        try LabCatalog.load(root: Fixtures.labsDirectory).resolve("selftest")
    }

    func options(variant: String = "before") -> RuntimeOptions {
        RuntimeOptions(stateDirectory: state.url, variant: variant, otlp: .embedded(port: 0))
    }

    func testSelfTestLabComesUpAnswersIsScrapedAndGoesDownCleanly() async throws {
        let lab = try await LabRuntime.up(try selftest(), options: options())
        var stopped = false
        defer { if !stopped { Task { [lab] in await lab.down() } } }

        // Wired as documented: frontend calls backend, backend uses Redis and PostgreSQL.
        let frontend = try XCTUnwrap(lab.instances.first { $0.role == "frontend" })
        let backend = try XCTUnwrap(lab.instances.first { $0.role == "backend" })
        XCTAssertEqual(frontend.environment["BACKEND_URL"], backend.url)
        XCTAssertEqual(backend.environment["REDIS_URL"], lab.endpoints.infrastructure["redis"])
        XCTAssertEqual(backend.environment["DATABASE_URL"], lab.endpoints.infrastructure["postgres"])
        XCTAssertEqual(backend.environment["DB_POOL_SIZE"], "4")
        XCTAssertEqual(frontend.environment["OTEL_SERVICE_NAME"], "frontend")
        XCTAssertEqual(frontend.environment["OTEL_EXPORTER_OTLP_ENDPOINT"], lab.endpoints.otlp)
        XCTAssertEqual(Array(lab.instances.map(\.role)), ["backend", "frontend"], "dependencies start first")

        let hello = try XCTUnwrap(Probe.httpGet(port: frontend.port, path: "/hello", timeout: .seconds(10)))
        XCTAssertEqual(hello.status, 200, hello.body)

        // The files other tools read.
        let state = try XCTUnwrap(LabState.read(from: self.state.url))
        XCTAssertEqual(state.lab, "selftest")
        XCTAssertEqual(Set(state.processes.map(\.name)), ["redis", "redis-proxy", "postgres", "prometheus", "frontend", "backend"])
        XCTAssertEqual(LabEndpoints.read(from: self.state.url), lab.endpoints)
        XCTAssertTrue(FileManager.default.fileExists(atPath: lab.labDirectory.appendingPathComponent("logs/frontend.log").path))

        // Prometheus scrapes both services and the fault proxy.
        let prometheus = try XCTUnwrap(lab.endpoints.prometheus.flatMap(URL.init(string:))?.port)
        try await waitUntil(timeout: .seconds(30)) {
            let answer = Probe.httpGet(port: prometheus, path: "/api/v1/query?query=sum(up%7Blab%3D%22selftest%22%7D)")
            return answer?.body.contains(#","3"]"#) == true
        }

        let pids = state.processes.map(\.pid)
        await lab.down()
        stopped = true
        for pid in pids { XCTAssertNil(ProcessTable.entry(pid), "pid \(pid) survived down()") }
        XCTAssertEqual(ProcessTable.processes(referencing: self.state.url.path), [])
        XCTAssertNil(LabState.read(from: self.state.url), "state.json is removed")
    }

    /// Redis is `proxied: true`: the backend reaches it through `labsvc proxy`, whose control API
    /// cuts and restores the connection while redis-server itself stays up.
    func testProxiedInfrastructureCanBeCutAndRestored() async throws {
        let lab = try await LabRuntime.up(try selftest(), options: options())
        defer { Task { [lab] in await lab.down() } }
        let frontend = try XCTUnwrap(lab.instances.first { $0.role == "frontend" })
        let backend = try XCTUnwrap(lab.instances.first { $0.role == "backend" })
        let admin = try XCTUnwrap(lab.proxyAdminURL("redis").flatMap(URL.init(string:))?.port)
        // The service's REDIS_URL is the proxy, not the server.
        XCTAssertEqual(backend.environment["REDIS_URL"], lab.endpoints.infrastructure["redis"])

        XCTAssertEqual(Probe.httpGet(port: frontend.port, path: "/hello", timeout: .seconds(10))?.status, 200)
        XCTAssertEqual(Probe.http(method: "POST", port: admin, path: "/proxy/down", jsonBody: nil, timeout: .seconds(5))?.status, 200)
        let cut = try XCTUnwrap(Probe.httpGet(port: frontend.port, path: "/hello", timeout: .seconds(10)))
        XCTAssertNotEqual(cut.status, 200, "Redis is unreachable through the proxy: \(cut.body)")
        XCTAssertEqual(Probe.httpGet(port: backend.port, path: "/readyz", timeout: .seconds(10))?.status, 503)
        XCTAssertEqual(Probe.http(method: "POST", port: admin, path: "/proxy/up", jsonBody: nil, timeout: .seconds(5))?.status, 200)
        try await waitUntil(timeout: .seconds(15)) {
            Probe.httpGet(port: frontend.port, path: "/hello", timeout: .seconds(5))?.status == 200
        }
    }

    func testKillStopAndRestartAService() async throws {
        let lab = try await LabRuntime.up(try selftest(), options: options())
        defer { Task { [lab] in await lab.down() } }
        let frontend = try XCTUnwrap(lab.instances.first { $0.role == "frontend" })
        let before = try XCTUnwrap(lab.process(of: "backend"))

        try await lab.kill("backend")
        XCTAssertEqual(before.exitStatus, .signaled(SIGKILL))
        let failing = try XCTUnwrap(Probe.httpGet(port: frontend.port, path: "/hello", timeout: .seconds(10)))
        XCTAssertGreaterThanOrEqual(failing.status, 500, "the frontend reports its dead dependency")

        try await lab.restart("backend")
        let after = try XCTUnwrap(lab.process(of: "backend"))
        XCTAssertNotEqual(after.pid, before.pid)
        XCTAssertEqual(Probe.httpGet(port: frontend.port, path: "/hello", timeout: .seconds(10))?.status, 200)
        XCTAssertEqual(LabState.read(from: state.url)?.processes.first { $0.name == "backend" }?.pid, after.pid)

        try await lab.stop("backend")
        try await waitUntil { ProcessTable.entry(after.pid)?.state == "T" }
        try await lab.cont("backend")
        try await waitUntil { ProcessTable.entry(after.pid)?.state != "T" }
        await lab.down()
        XCTAssertNil(ProcessTable.entry(after.pid))
    }

    func testASecondLabRefusesToStartWhileOneRuns() async throws {
        var stateFile = LabState(
            lab: "selftest", variant: "before", controllerPid: getpid(),
            controllerCommandLine: try XCTUnwrap(ProcessTable.entry(getpid())).commandLine,
            labDirectory: state.url.appendingPathComponent("selftest").path, startedAt: Date(), processes: [])
        try stateFile.write(to: state.url)
        do {
            let lab = try await LabRuntime.up(try selftest(), options: options())
            await lab.down()
            XCTFail("a second lab must not start")
        } catch let error as LabAlreadyRunningError {
            XCTAssertEqual("\(error)", "selftest (before) is already running (labctl pid \(getpid())); stop it first with `labctl down`")
        }
        // A state file whose controller is gone is stale: cleaned up, then the lab starts.
        stateFile.controllerCommandLine = ["a-process-that-is-not-running"]
        try stateFile.write(to: state.url)
        let lab = try await LabRuntime.up(try selftest(), options: options())
        await lab.down()
    }

    func testAServiceThatFailsShowsItsLog() async throws {
        var entry = try selftest()
        entry = LabCatalog.Entry(
            manifest: {
                var manifest = entry.manifest
                manifest.services[1].env["DATABASE_URL"] = "not-a-url" // the backend refuses to start
                manifest.infrastructure.removeAll { $0.kind == .postgres }
                return manifest
            }(), directory: entry.directory)
        var options = options()
        options.readyTimeout = .seconds(60)
        options.prometheus = false
        do {
            let lab = try await LabRuntime.up(entry, options: options)
            await lab.down()
            XCTFail("the backend cannot start with a malformed DATABASE_URL")
        } catch let error as RuntimeError {
            XCTAssertTrue("\(error)".contains("service backend failed to start"), "\(error)")
            XCTAssertTrue("\(error)".contains("DATABASE_URL"), "the log tail explains why: \(error)")
        }
        XCTAssertEqual(ProcessTable.processes(referencing: state.url.path), [], "a failed start leaves nothing")
        XCTAssertNil(LabState.read(from: state.url))
    }

    func testDownCleansUpAfterAControllerThatDied() async throws {
        let labDirectory = state.url.appendingPathComponent("selftest")
        try FileManager.default.createDirectory(at: labDirectory, withIntermediateDirectories: true)
        func start(_ program: String, _ arguments: [String]) throws -> ChildProcess {
            try ChildProcess.spawn(
                name: program, executable: try ProgramLocator.standard.find(program), arguments: arguments,
                environment: ChildProcess.minimalEnvironment(), directory: labDirectory,
                logFile: labDirectory.appendingPathComponent("\(program).log"), deathSignal: 0)
        }
        let recorded = try start("sleep", ["300"])
        let stray = try start("redis-server", ["--port", "\(try FreePort.next())", "--bind", "127.0.0.1", "--save", ""])
        let bystander = try start("sleep", ["301"]) // e.g. a shell in .lab: not ours to kill
        defer { Task { await bystander.stop(signal: SIGKILL) } }
        try LabState(
            lab: "selftest", variant: "before", controllerPid: 999_999, controllerCommandLine: ["gone"],
            labDirectory: labDirectory.path, startedAt: Date(),
            processes: [.init(name: "backend", kind: .service, pid: recorded.pid, pgid: recorded.pgid, log: "")]
        ).write(to: state.url)

        let stopped = await LabRuntime.down(stateDirectory: state.url)
        XCTAssertEqual(stopped?.lab, "selftest")
        // down() signals and returns; the exit statuses are reaped a moment later.
        let recordedStatus = await recorded.waitForExit(timeout: .seconds(10))
        let strayStatus = await stray.waitForExit(timeout: .seconds(10))
        XCTAssertEqual(recordedStatus, .signaled(SIGTERM))
        XCTAssertEqual(strayStatus, .signaled(SIGKILL))
        XCTAssertTrue(bystander.isRunning)
        XCTAssertNil(LabState.read(from: state.url))
        await bystander.stop(signal: SIGKILL)
    }

    func testUnknownVariantIsAClearError() async throws {
        do {
            _ = try await LabRuntime.up(try selftest(), options: options(variant: "during"))
            XCTFail("unknown variant")
        } catch {
            XCTAssertEqual("\(error)", "selftest has no variant 'during' (variants: before, after)")
        }
    }
}
