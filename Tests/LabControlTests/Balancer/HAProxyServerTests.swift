import AsyncHTTPClient
import Foundation
import LabKit
import Synchronization
import XCTest

@testable import LabControl

#if canImport(Glibc)
import Glibc
#endif

/// The real HAProxy from Debian's package, in front of real HTTP servers: it balances by weight,
/// follows health checks, takes runtime commands, reloads without dropping a request, exports
/// metrics, and leaves no process behind (running as an unprivileged account when we are root).
final class HAProxyServerTests: XCTestCase {
    var directory: TestDirectory!
    var backends: [BalancerTestBackend] = []
    var haproxy: HAProxyServer?

    override func setUp() async throws {
        try XCTSkipIf(ProgramLocator.standard.locate("haproxy") == nil, "haproxy is not installed (apt-get install haproxy)")
        directory = try TestDirectory()
    }

    override func tearDown() async throws {
        await haproxy?.stop()
        for backend in backends { await backend.stop() }
        directory.remove()
    }

    /// Backends a and b (role `app`), and HAProxy in front of them with the weights given.
    func start(weights: [String: Int] = [:], slowStart: String? = nil) async throws -> (HAProxyServer, BalancerCommands) {
        backends = [try await BalancerTestBackend.start("a"), try await BalancerTestBackend.start("b")]
        var settings: [String: JSONValue] = ["backends": ["app"], "health_check": ["interval": "200ms", "rise": 1, "fall": 1]]
        if let slowStart { settings["slow_start"] = .string(slowStart) }
        let balancer = BalancerSettings(settings)
        let servers = backends.map { HAProxyConfiguration.Server(name: $0.name, address: $0.address, weight: weights[$0.name] ?? 100) }
        let server = try await HAProxyServer.start(directory: directory.url.appendingPathComponent("lb")) { frontend, metrics, api, state in
            HAProxyConfiguration(
                title: "test", frontendBind: "127.0.0.1:\(frontend)", metricsBind: "127.0.0.1:\(metrics)",
                runtimeAPIBind: "ipv4@127.0.0.1:\(api)", servers: servers, settings: balancer, stateFile: state)
        }
        haproxy = server
        let commands = BalancerCommands(runtimeAPI: server.runtimeAPI, serversByRole: [("app", ["a", "b"])], settings: balancer) {
            weights in
            var next = server.configuration
            next.servers = next.servers.map {
                var s = $0
                s.weight = weights[s.name] ?? s.weight
                return s
            }
            try await server.reload(next)
        }
        _ = try await commands.perform("wait_up", "app")
        return (server, commands)
    }

    /// Who answered `count` requests sent through the balancer (a new connection each).
    func servedBy(_ server: HAProxyServer, count: Int = 20) async throws -> [String: Int] {
        var tally: [String: Int] = [:]
        for _ in 0..<count {
            let (status, body) = try await Self.get(server.url + "/who", newConnection: true)
            tally[status == 200 ? body : "HTTP \(status)", default: 0] += 1
        }
        return tally
    }

    /// One GET (async: the backends live in this process, blocking calls would starve them).
    static func get(_ url: String, newConnection: Bool = false) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        if newConnection { request.headers.add(name: "Connection", value: "close") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    func testBalancesFollowsHealthAndCommandsAndLeavesNothing() async throws {
        let (server, commands) = try await start()
        var served = try await servedBy(server)
        XCTAssertEqual(served, ["a": 10, "b": 10], "round robin over equal weights")

        // Runtime commands, no reload: weights, drain, switch.
        _ = try await commands.perform("set_weight", ["b": 0])
        served = try await servedBy(server)
        XCTAssertEqual(served, ["a": 20])
        _ = try await commands.perform("switch", ["to": "b"])
        served = try await servedBy(server)
        XCTAssertEqual(served, ["b": 20], "switch gives b its weight and drains a")
        let stats = try await server.runtimeAPI.serverStats()
        XCTAssertEqual(stats.first { $0.server == "a" }?.status, "DRAIN")
        XCTAssertEqual(stats.first { $0.server == "b" }?.weight, 100)
        _ = try await commands.perform("ready", "a")
        served = try await servedBy(server)
        XCTAssertEqual(served, ["a": 10, "b": 10])

        // A failing health check takes a server out; passing again brings it back.
        backends[0].ready = false
        try await waitUntil { (try? await server.runtimeAPI.serverStats().first { $0.server == "a" }?.isUp) == false }
        served = try await servedBy(server)
        XCTAssertEqual(served, ["b": 20])
        backends[0].ready = true
        _ = try await commands.perform("wait_up", "a")

        // Its Prometheus exporter counts per server.
        let metrics = try XCTUnwrap(Probe.httpGet(port: server.metricsPort, path: "/metrics"))
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(
            metrics.body.contains(#"haproxy_server_http_responses_total{proxy="servers",server="b",code="2xx"}"#),
            metrics.body.prefix(500).description)

        // Unknown servers and commands are refused with what exists.
        do {
            _ = try await commands.perform("drain", "c")
            XCTFail("drain of an unknown server must fail")
        } catch { XCTAssertTrue("\(error)".contains("'c' is not behind this balancer (a, app, b)"), "\(error)") }
        do {
            _ = try await commands.perform("promote", .null)
            XCTFail("an unknown command must fail")
        } catch { XCTAssertTrue("\(error)".contains("set_weight, drain"), "\(error)") }

        // As root it runs unprivileged.
        if geteuid() == 0 {
            let status = try String(contentsOfFile: "/proc/\(server.process.pid)/status", encoding: .utf8)
            let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst().first
            XCTAssertNotEqual(uid.flatMap { Int($0) }, 0, "haproxy must not run as root")
        }

        await server.stop()
        haproxy = nil
        XCTAssertNil(server.process.exitStatus.flatMap { _ in nil as Int? })
        XCTAssertEqual(kill(-server.process.pgid, 0), -1, "no process of haproxy's group remains")
        XCTAssertFalse(FreePort.isListening(server.frontendPort))
        XCTAssertFalse(FreePort.isListening(server.runtimeAPIPort))
    }

    /// Under steady concurrent load (kept-alive connections and new ones), three graceful reloads
    /// lose no request; weights set at run time survive a reload, weights given to one apply.
    func testGracefulReloadDropsNothingAndKeepsRuntimeState() async throws {
        let (server, commands) = try await start()
        _ = try await commands.perform("set_weight", ["b": 0])
        let tally = Tally()
        let url = server.url + "/sleep/5"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<6 {
                group.addTask {
                    while !tally.stop.withLock({ $0 }) {
                        try? await Task.sleep(for: .milliseconds(2))
                        if client % 2 == 0 {
                            // A pooled, kept-alive connection.
                            do {
                                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
                                _ = try await response.body.collect(upTo: 1 << 16)
                                if response.status == .ok {
                                    tally.succeeded.withLock { $0 += 1 }
                                } else {
                                    tally.failures.withLock { $0.append("HTTP \(response.status.code)") }
                                }
                            } catch { tally.failures.withLock { $0.append("\(error)") } }
                        } else {
                            // A new connection per request.
                            do {
                                let status = try await Self.get(url, newConnection: true).status
                                if status == 200 {
                                    tally.succeeded.withLock { $0 += 1 }
                                } else {
                                    tally.failures.withLock { $0.append("HTTP \(status)") }
                                }
                            } catch { tally.failures.withLock { $0.append("\(error)") } }
                        }
                    }
                }
            }
            group.addTask {
                defer { tally.stop.withLock { $0 = true } }
                try await Task.sleep(for: .milliseconds(500))
                for _ in 0..<3 {
                    let before = try await server.runtimeAPI.workerPid()
                    _ = try await commands.perform("reload", .null)
                    let after = try await server.runtimeAPI.workerPid()
                    XCTAssertNotEqual(before, after, "a reload starts a new worker")
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(tally.failures.withLock { $0 }, [], "no request may fail during a graceful reload")
        XCTAssertGreaterThan(tally.succeeded.withLock { $0 }, 100)

        // The runtime weight (b = 0) survived three reloads …
        var served = try await servedBy(server)
        XCTAssertEqual(served, ["a": 20])
        // … and a reload that sets weights applies them.
        _ = try await commands.perform("reload", ["weights": ["a": 0, "b": 50]])
        served = try await servedBy(server)
        XCTAssertEqual(served, ["b": 20])
        XCTAssertTrue(server.process.isRunning, "the master stays the same process across reloads")
    }

    func testABrokenReloadIsRefusedAndTheBalancerKeepsServing() async throws {
        let (server, _) = try await start()
        var broken = server.configuration
        broken.settings.balance = "no-such-algorithm"
        do {
            try await server.reload(broken)
            XCTFail("a configuration haproxy -c refuses must not be loaded")
        } catch let error as ProgramFailedError {
            XCTAssertTrue(error.logTail.contains("balance only supports"), error.logTail)
        }
        let served = try await servedBy(server)
        XCTAssertEqual(served.values.reduce(0, +), 20)
    }

    func testSlowStartRampsTheWeightOfAServerThatComesUp() async throws {
        let (server, commands) = try await start(slowStart: "3s")
        backends[1].ready = false
        try await waitUntil { (try? await server.runtimeAPI.serverStats().first { $0.server == "b" }?.isUp) == false }
        backends[1].ready = true
        _ = try await commands.perform("wait_up", "b")
        let ramping = try await server.runtimeAPI.serverStats().first { $0.server == "b" }
        XCTAssertLessThan(try XCTUnwrap(ramping).weight, 100, "just up: a fraction of its weight")
        try await waitUntil(timeout: .seconds(10)) {
            (try? await server.runtimeAPI.serverStats().first { $0.server == "b" }?.weight) == 100
        }
    }
}

/// What the clients of the reload test saw.
final class Tally: Sendable {
    let failures = Mutex<[String]>([])
    let succeeded = Mutex(0)
    let stop = Mutex(false)
}
