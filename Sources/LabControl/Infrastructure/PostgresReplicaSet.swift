import Foundation
import LabKit

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL primary and its hot standbys, replicating for real: each standby is a
/// `pg_basebackup` of the running primary with a physical replication slot of its own, streaming
/// WAL through a fault proxy (`labsvc proxy`) so that a scenario can cut, slow or restore the
/// replication link while both servers stay healthy.
///
///     primary ──(WAL)──▶ <name>-replication proxy ──▶ standby-1     (slot standby_1)
///
/// - `synchronous`: once every standby streams, `synchronous_standby_names = 'ANY 1 (…)'` on the
///   primary (and `synchronous_commit = on`): a commit returns only when a standby has flushed it.
///   Set after the standbys connect, so the lab's init SQL does not wait for a standby that does not
///   exist yet.
/// - `replayDelay`: `recovery_min_apply_delay` on every standby: it receives WAL at once but applies
///   a commit only that long after the primary committed it (visible lag, for read-your-writes).
/// - A replicated cluster runs with `synchronous_commit = on` (a commit is written before it is
///   acknowledged) so that a killed primary loses only what it had not replicated.
final class PostgresReplicaSet: Sendable {
    let name: String
    let primary: PostgresServer
    let standbys: [PostgresServer]
    /// `links[i]` carries standby i+1's replication connection.
    let links: [FaultProxyProcess]
    let locator: ProgramLocator

    private init(name: String, primary: PostgresServer, standbys: [PostgresServer], links: [FaultProxyProcess], locator: ProgramLocator) {
        self.name = name
        self.primary = primary
        self.standbys = standbys
        self.links = links
        self.locator = locator
    }

    /// `db-replication` for one standby; `db-replication-1`, `db-replication-2` for more.
    static func linkName(_ name: String, standby: Int, of count: Int) -> String {
        count == 1 ? "\(name)-replication" : "\(name)-replication-\(standby)"
    }

    static func linkNames(_ name: String, standbys: Int) -> [String] {
        standbys <= 0 ? [] : (1...standbys).map { linkName(name, standby: $0, of: standbys) }
    }

    /// `standby-1`: the application name the primary knows it by (`pg_stat_replication`).
    static func standbyName(_ index: Int) -> String { "standby-\(index)" }

    static func start(
        name: String, directory: URL, standbys count: Int, synchronous: Bool, replayDelay: Double?,
        settings: [String: String] = [:], initSQL: String? = nil, databases: [String] = [], labsvc: URL,
        locator: ProgramLocator = .standard, template: PostgresClusterTemplate? = nil, readyTimeout: Duration = .seconds(60),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> PostgresReplicaSet {
        var primarySettings = ["synchronous_commit": "on", "max_wal_senders": "10", "wal_sender_timeout": "5s"]
        primarySettings.merge(settings) { _, given in given }
        let primary = try await PostgresServer.start(
            directory: directory.appendingPathComponent("primary", isDirectory: true), initSQL: initSQL, locator: locator,
            template: template, settings: primarySettings, databases: databases)
        var standbys: [PostgresServer] = []
        var links: [FaultProxyProcess] = []
        do {
            for index in 1...count {
                let link = try await FaultProxyProcess.start(
                    name: linkName(name, standby: index, of: count), upstreamPort: primary.port, labsvc: labsvc,
                    directory: directory.appendingPathComponent("replication-\(index)", isDirectory: true),
                    readyTimeout: readyTimeout)
                links.append(link)
                var standbySettings = settings.filter { $0.key != "synchronous_standby_names" }
                standbySettings["synchronous_commit"] = "on"
                standbySettings["wal_receiver_timeout"] = "5s"
                if let replayDelay { standbySettings["recovery_min_apply_delay"] = "\(Int((replayDelay * 1000).rounded()))ms" }
                standbys.append(
                    try await PostgresServer.startStandby(
                        directory: directory.appendingPathComponent(standbyName(index), isDirectory: true), primary: primary,
                        upstreamPort: link.listenPort, slot: "standby_\(index)", applicationName: standbyName(index),
                        settings: standbySettings, locator: locator))
            }
            let set = PostgresReplicaSet(name: name, primary: primary, standbys: standbys, links: links, locator: locator)
            try await set.waitUntilStreaming(timeout: readyTimeout)
            if synchronous {
                let names = (1...count).map { "\"\(standbyName($0))\"" }.joined(separator: ", ")
                try await primary.execute("ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (\(names))'", locator: locator)
                try await primary.execute("SELECT pg_reload_conf()", locator: locator)
                try await set.waitUntil("a synchronous standby", timeout: readyTimeout) {
                    try await primary.execute(
                        "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')", locator: locator) != "0"
                }
            }
            log(
                "\(name): primary :\(primary.port), \(count) standby(s) streaming"
                    + (synchronous ? ", synchronous" : ", asynchronous") + (replayDelay.map { ", replay delay \($0) s" } ?? ""))
            return set
        } catch {
            for standby in standbys { await standby.stop() }
            for link in links { await link.process.stop(signal: SIGTERM, grace: .seconds(5)) }
            await primary.stop()
            throw error
        }
    }

    /// Every standby's WAL receiver is connected (`pg_stat_replication` on the primary).
    private func waitUntilStreaming(timeout: Duration) async throws {
        try await waitUntil("\(standbys.count) streaming standby(s)", timeout: timeout) {
            let streaming = try await primary.execute(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", locator: locator)
            return Int(streaming) ?? 0 >= standbys.count
        }
    }

    private func waitUntil(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if (try? await condition()) == true { return }
            guard ContinuousClock.now < deadline else {
                throw ServerStartError(
                    server: "\(name) (replication)", reason: "no \(what) within \(timeout)",
                    logTail: standbys.first?.process.logTail() ?? primary.process.logTail())
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: what services and scenarios get

    var processes: [ChildProcess] { [primary.process] + standbys.map(\.process) + links.map(\.process) }

    /// `<NAME>_STANDBY_URL` (the first standby) and `<NAME>_NODE_URLS` (primary first, then every
    /// standby: the servers a failover manager watches, node 1, 2, …).
    var environment: [String: String] {
        [
            ServiceSpec.urlVariable(for: "\(name)-standby"): standbys.first?.url ?? "",
            ServiceSpec.urlVariable(for: "\(name)-node").replacingOccurrences(of: "_URL", with: "_URLS"):
                ([primary] + standbys).map(\.url).joined(separator: ","),
        ]
    }

    /// The replication links' fault proxies: `<link>-proxy` → admin URL (what `proxy_toxic` calls).
    var endpoints: [String: String] {
        var endpoints: [String: String] = [:]
        for (index, link) in links.enumerated() {
            endpoints["\(Self.linkName(name, standby: index + 1, of: links.count))-proxy"] = link.adminURL
        }
        for (index, standby) in standbys.enumerated() { endpoints["\(name)-\(Self.standbyName(index + 1))"] = standby.url }
        return endpoints
    }

    var scrapeJobs: [PrometheusScrapeJob] {
        links.enumerated().map { index, link in
            PrometheusScrapeJob(
                name: "\(Self.linkName(name, standby: index + 1, of: links.count))-proxy", targets: ["127.0.0.1:\(link.adminPort)"])
        }
    }

    /// Standbys first (a primary's fast shutdown waits for connected standbys), then the links, then the primary.
    func stop() async {
        for standby in standbys { await standby.stop() }
        for link in links { await link.process.stop(signal: SIGTERM, grace: .seconds(5)) }
        await primary.stop()
    }

    // MARK: scenario commands

    /// `infra` actions:
    /// - `promote` `{standby: 1}`: `SELECT pg_promote()` on that standby (it stops replaying and
    ///   accepts writes); answers once it is out of recovery.
    /// - `kill` / `stop` / `cont` `{node: primary | standby-N}`: SIGKILL (a crash: the server and
    ///   its backends die at once), SIGSTOP (a frozen machine), SIGCONT.
    /// - `status`: each node's role and LSNs, as one line.
    func command(_ command: String, _ arguments: JSONValue) async throws -> String {
        switch command {
        case "promote":
            let index = arguments["standby"]?.intValue ?? 1
            guard standbys.indices.contains(index - 1) else { throw RuntimeError("\(name) has no standby \(index)") }
            let answer = try await standbys[index - 1].execute("SELECT pg_promote(true, 30)", locator: locator)
            guard answer == "t" else { throw RuntimeError("\(name): standby \(index) was not promoted within 30 s") }
            return "\(Self.standbyName(index)) promoted"
        case "kill", "stop", "cont":
            let node = arguments["node"]?.stringValue ?? "primary"
            let server = try server(named: node)
            switch command {
            case "kill":
                server.process.send(SIGKILL, toGroup: true)
                server.process.send(SIGCONT, toGroup: true)
                await server.process.waitForExit(timeout: .seconds(10))
            case "stop": server.process.send(SIGSTOP, toGroup: true)
            default: server.process.send(SIGCONT, toGroup: true)
            }
            return "\(command) \(node) (pid \(server.process.pid))"
        case "status":
            var lines: [String] = []
            for (label, server) in [("primary", primary)] + standbys.enumerated().map({ (Self.standbyName($0.offset + 1), $0.element) }) {
                let state =
                    server.process.isRunning
                    ? ((try? await server.execute(
                        "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby replayed ' || pg_last_wal_replay_lsn() "
                            + "ELSE 'primary at ' || pg_current_wal_lsn() END", locator: locator)) ?? "not answering")
                    : "down"
                lines.append("\(label): \(state)")
            }
            return lines.joined(separator: "; ")
        default:
            throw RuntimeError("\(name) understands promote, kill, stop, cont and status, not '\(command)'")
        }
    }

    private func server(named node: String) throws -> PostgresServer {
        if node == "primary" { return primary }
        if node == "standby", let first = standbys.first { return first }
        if node.hasPrefix("standby-"), let index = Int(node.dropFirst("standby-".count)), standbys.indices.contains(index - 1) {
            return standbys[index - 1]
        }
        throw RuntimeError("\(name) has no node '\(node)' (nodes: primary\(standbys.indices.map { ", standby-\($0 + 1)" }.joined()))")
    }
}
