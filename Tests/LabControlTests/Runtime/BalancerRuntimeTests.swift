import Foundation
import LabKit
import XCTest

@testable import LabControl

#if canImport(Glibc)
import Glibc
#endif

/// The native runtime with a real HAProxy in front of real `labsvc` replicas (week 10's app): wiring,
/// services that start later, balancer commands, terminate, Prometheus scraping HAProxy's exporter,
/// a variant's balancer settings, and nothing left behind. Then memory limits with week 16's api.
/// Needs labsvc built (`swift build --build-tests` builds it) and haproxy installed.
final class BalancerRuntimeTests: XCTestCase {
    var state: TestDirectory!

    override func setUp() async throws {
        try XCTSkipIf(ProgramLocator.standard.locate("haproxy") == nil, "haproxy is not installed (apt-get install haproxy)")
        state = try TestDirectory()
    }

    override func tearDown() async throws {
        await LabRuntime.down(stateDirectory: state.url)
        state.remove()
    }

    static let manifest = """
        week: 10
        slug: balancer-test
        id: week10
        title: Balancer runtime test
        services:
          - role: blue
            replicas: 2
            env: {VERSION: v1, WORK_MS: 0}
          - role: green
            autostart: false
            env: {VERSION: v2, WORK_MS: 0}
        infrastructure:
          - kind: haproxy
            name: lb
            backends: [blue, green]
            weights: {green: 0}
            health_check: {interval: 200ms, rise: 1, fall: 1}
        variants:
          before: {description: round robin}
          after:
            description: least connections
            infrastructure:
              lb: {balance: leastconn}
        scenario:
          target: lb
          requests: [{path: "/orders/{id}"}]
          phases: [{name: p, duration: 2s, load: {rate: 20}}]
        """

    func entry(_ yaml: String = manifest) throws -> LabCatalog.Entry {
        LabCatalog.Entry(
            manifest: try ManifestParser.parse(yaml: yaml), directory: state.url.appendingPathComponent("labs/10-balancer-test"))
    }

    func options(_ variant: String = "before", prometheus: Bool = true) -> RuntimeOptions {
        var options = RuntimeOptions(stateDirectory: state.url, variant: variant, otlp: .none)
        options.prometheus = prometheus
        return options
    }

    /// The version that answered GET /orders/1 through the balancer.
    func version(_ lab: RunningLab) throws -> String {
        let port = try XCTUnwrap(URLComponents(string: try XCTUnwrap(lab.loadTargetURL("lb")))?.port)
        let answer = try XCTUnwrap(Probe.httpGet(port: port, path: "/orders/1", timeout: .seconds(5)))
        XCTAssertEqual(answer.status, 200, answer.body)
        guard case .object(let fields) = try JSONValue.parse(Array(answer.body.utf8)), case .string(let version)? = fields["version"] else {
            throw XCTSkip("not JSON: \(answer.body)")
        }
        return version
    }

    func testBalancerInFrontOfReplicasDeploysAndLeavesNothing() async throws {
        let lab = try await LabRuntime.up(try entry(), options: options())
        var down = false
        defer { if !down { Task { [lab] in await lab.down() } } }

        // Wiring: the frontend is the lab's `lb` endpoint, services know it and its Runtime API.
        let lbURL = try XCTUnwrap(lab.endpoints.infrastructure["lb"])
        XCTAssertTrue(lbURL.hasPrefix("http://127.0.0.1:"), lbURL)
        XCTAssertEqual(lab.loadTargetURL("lb"), lbURL)
        let blue = try XCTUnwrap(lab.instances.first { $0.name == "blue-1" })
        XCTAssertEqual(blue.environment["LB_URL"], lbURL)
        let runtimeAPI = try HAProxyRuntimeAPI(address: try XCTUnwrap(blue.environment["LB_RUNTIME_API"]))
        let config = try String(contentsOf: lab.labDirectory.appendingPathComponent("lb/haproxy.cfg"), encoding: .utf8)
        XCTAssertTrue(config.contains("balance roundrobin"), config)
        XCTAssertTrue(config.contains("server green 127.0.0.1:"), config)

        // green does not run yet; blue's two replicas serve.
        XCTAssertNil(lab.process(of: "green"))
        XCTAssertEqual(Set(try (0..<6).map { _ in try version(lab) }), ["v1"])
        let servers = try await runtimeAPI.serverStats()
        XCTAssertEqual(servers.filter(\.isUp).map(\.server).sorted(), ["blue-1", "blue-2"])

        // Deploy: start green, switch, blue terminated (gracefully) stays down.
        try await lab.start("green")
        let greenProcess = try XCTUnwrap(lab.process(of: "green"))
        XCTAssertTrue(greenProcess.isRunning)
        do {
            try await lab.start("green")
            XCTFail("starting a running instance must fail")
        } catch { XCTAssertTrue("\(error)".contains("already running"), "\(error)") }
        let switched = try await lab.command("lb", "switch", ["to": "green"])
        XCTAssertTrue(switched.contains("switched to green"), switched)
        XCTAssertEqual(Set(try (0..<6).map { _ in try version(lab) }), ["v2"])
        _ = try await lab.command("lb", "wait_drained", "blue")
        try await lab.terminate("blue")
        for name in ["blue-1", "blue-2"] {
            XCTAssertEqual(lab.process(of: name)?.exitStatus, .exited(0), "\(name) shut down gracefully on SIGTERM")
        }
        XCTAssertEqual(try version(lab), "v2")

        // A graceful reload through the scenario command keeps green serving.
        _ = try await lab.command("lb", "reload", .null)
        XCTAssertEqual(try version(lab), "v2")

        // Prometheus scrapes HAProxy's exporter as job "lb": a real parse of its exposition.
        let prometheus = PrometheusClient(baseURL: try XCTUnwrap(lab.prometheusURL))
        try await waitUntil(timeout: .seconds(30)) {
            let samples = try? await prometheus.instant(#"sum(haproxy_server_http_responses_total{job="lb", server="green", code="2xx"})"#)
            return (samples?.first?.value ?? 0) > 0
        }

        // Everything stops: haproxy (master and workers), services, Prometheus.
        let recorded = try XCTUnwrap(LabState.read(from: state.url))
        XCTAssertTrue(recorded.processes.contains { $0.name == "lb" }, "\(recorded.processes.map(\.name))")
        await lab.down()
        down = true
        for process in recorded.processes { XCTAssertNotEqual(kill(-process.pgid, 0), 0, "\(process.name) survived down()") }
        XCTAssertEqual(ProcessTable.processes(referencing: state.url.path), [])
    }

    func testAVariantChangesTheBalancersSettings() async throws {
        let lab = try await LabRuntime.up(try entry(), options: options("after", prometheus: false))
        defer { Task { [lab] in await lab.down() } }
        let config = try String(contentsOf: lab.labDirectory.appendingPathComponent("lb/haproxy.cfg"), encoding: .utf8)
        XCTAssertTrue(config.contains("balance leastconn"), config)
        XCTAssertEqual(try version(lab), "v1")
    }

    /// Week 16's api keeps every report (MEMO_CACHE=unbounded): unique ids push it past its limit;
    /// the runtime kills it, starts it again, counts it; a scenario's own kill is not undone.
    func testAServicePastItsMemoryLimitIsKilledAndStartedAgain() async throws {
        let yaml = """
            week: 16
            slug: memory-test
            id: week16
            title: Memory limit test
            services:
              - role: api
                memory_limit: 64MB
                env: {MEMO_CACHE: unbounded, LISTENERS: leak, REPORT_KB: 256}
            variants: {before: {}, after: {}}
            """
        let lab = try await LabRuntime.up(try entry(yaml), options: options(prometheus: false))
        defer { Task { [lab] in await lab.down() } }
        let api = try XCTUnwrap(lab.instances.first)
        let first = try XCTUnwrap(lab.process(of: "api")).pid
        XCTAssertEqual(lab.memoryLimits.kills, [:])

        // 256 KB per new id: a few hundred ids are past 64 MB.
        var id = 0
        try await waitUntil(timeout: .seconds(60)) {
            for _ in 0..<20 {
                id += 1
                _ = Probe.httpGet(port: api.port, path: "/report/\(id)", timeout: .seconds(5))
            }
            return lab.memoryLimits.kills["api"] ?? 0 >= 1
        }
        // Started again, and answering.
        try await waitUntil(timeout: .seconds(30)) {
            guard let process = lab.process(of: "api"), process.pid != first, process.isRunning else { return false }
            return Probe.httpGet(port: api.port, path: "/readyz")?.status == 200
        }
        let restarted = try XCTUnwrap(lab.process(of: "api")).pid
        if case .rssWatchdog = lab.memoryLimits.enforcement {
            XCTAssertEqual(lab.process(of: "api").flatMap { _ in ResidentMemory.bytes(of: restarted) }.map { $0 < 64 << 20 }, true)
        }

        // A kill the scenario asks for stays a kill.
        try await lab.kill("api")
        try await Task.sleep(for: .seconds(1))
        XCTAssertEqual(lab.process(of: "api")?.pid, restarted)
        XCTAssertFalse(try XCTUnwrap(lab.process(of: "api")).isRunning)
        XCTAssertEqual(lab.memoryLimits.kills["api"], 1)
    }

    func testEnforcementIsDetectedFromTheMachine() {
        // No cgroup2 mount at all.
        XCTAssertEqual(
            MemoryLimitEnforcement.detect(mountInfo: "", ownCgroup: "0::/\n"), .rssWatchdog(why: "no cgroup v2 hierarchy is mounted"))
        let mountInfo = "35 25 0:30 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw\n"
        XCTAssertEqual(MemoryLimitEnforcement.cgroup2Mount(mountInfo), "/sys/fs/cgroup/unified")
        // What this machine allows is one of the two, and says why when it is the watchdog.
        switch MemoryLimitEnforcement.current {
        case .cgroup(let parent):
            XCTAssertTrue(FileManager.default.fileExists(atPath: parent.appendingPathComponent("cgroup.controllers").path))
        case .rssWatchdog(let why): XCTAssertFalse(why.isEmpty)
        }
    }
}
