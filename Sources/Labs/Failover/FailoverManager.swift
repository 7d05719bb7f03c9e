import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle

/// KEY IDEA: failover is three decisions, and each needs a referee outside the database. *Is the
/// primary dead?* — its manager stops renewing the leader lease in etcd the moment its node stops
/// answering, so "dead" means "the lease expired", the same verdict for everyone. *Who takes over?* —
/// the first standby manager to create the leader key in one compare-and-swap; then it promotes its
/// node (`pg_promote()`). *Can the old primary still write?* — the router only sends writes to the node
/// the key names, and a manager whose node is a primary without the key fences it (read-only).
/// Automation does not decide what is lost: with asynchronous replication the writes the standby had
/// not received are gone after promotion; with synchronous replication a commit is acknowledged only
/// once a standby has it, so nothing acknowledged is lost — and while no standby can confirm, writes
/// wait.
///
/// One manager per node (`manager-N` watches node N of `DB_NODE_URLS`), every `TICK_MS`:
/// - node N is a healthy primary → keep (or take) the lease `/db/leader` = node N's URL; with
///   `REPLICATION=sync`, require a synchronous standby while another node is a standby;
/// - node N is a healthy standby, `FAILOVER=on`, a leader was seen before and the key is gone → take
///   the key, promote node N;
/// - node N does not answer → do nothing (its lease, if it held one, runs out).
enum FailoverManager {
    enum Replication: String, Sendable, CaseIterable { case async, sync }

    static let failoverKnob = Knob.flag("FAILOVER", default: false, "a standby's manager promotes its node when the leader's lease expires")
    static let replicationKnob = Knob<Replication>.choice(
        "REPLICATION", default: .async,
        "`async`: commits return at once; `sync`: the leader sets synchronous_standby_names while another node is a standby")
    static let ttlKnob = Knob.milliseconds("LEADER_TTL_MS", default: 2_000, in: 1_000...60_000, "the leader lease in etcd (whole seconds)")
    static let tickKnob = Knob.milliseconds("TICK_MS", default: 300, in: 50...10_000, "how often a manager checks its node and the lease")
    static let knobs: [any LabKnob] = [failoverKnob, replicationKnob, ttlKnob, tickKnob] + LabPostgres.knobs

    static let leaderKey = "/db/leader"

    static func build(_ service: LabService) async throws {
        let nodes = try DatabaseNodes(service)
        // manager-2 watches node 2: the instance's replica number picks the node.
        let instance = service.context.environment["LAB_INSTANCE"] ?? "manager-1"
        guard let number = Int(instance.split(separator: "-").last ?? ""), nodes.pools.indices.contains(number - 1) else {
            throw LabStartupError(
                "\(instance): no node \(instance.split(separator: "-").last ?? "?") in DB_NODE_URLS (\(nodes.urls.count) nodes)")
        }
        guard let etcdURL = service.context.environment["ETCD_URL"], !etcdURL.isEmpty else {
            throw LabStartupError("the manager needs ETCD_URL")
        }
        let manager = NodeManager(
            node: number - 1, nodes: nodes,
            lease: EtcdLeaderLease(
                etcd: EtcdClient(baseURL: etcdURL), key: leaderKey, identity: nodes.urls[number - 1],
                ttl: try service.knobs.read(ttlKnob)),
            failover: try service.knobs.read(failoverKnob), replication: try service.knobs.read(replicationKnob),
            tick: try service.knobs.read(tickKnob), logger: service.context.logger)
        service.addService(manager)
        service.router.get("/node") { _, _ -> JSONValue in await manager.status() }
    }
}

/// The node URLs (`DB_NODE_URLS`: node 1 is the first primary) and a small pool for each
/// (`DB_POOL_SIZE` connections, or `poolSize`).
struct DatabaseNodes: Sendable {
    let urls: [String]
    let pools: [LabPostgres]

    init(_ service: LabService, poolName: String = "node", poolSize: Int? = nil) throws {
        guard let raw = service.context.environment["DB_NODE_URLS"], !raw.isEmpty else {
            throw LabStartupError("\(service.context.serviceName) needs DB_NODE_URLS (a postgres entry with standbys)")
        }
        urls = raw.split(separator: ",").map(String.init)
        pools = try urls.enumerated().map { index, url in
            let pool = LabPostgres(
                url: try DatabaseURL(url), poolName: "\(poolName)-\(index + 1)",
                poolSize: try poolSize ?? service.knobs.read(LabPostgres.poolSizeKnob),
                acquireTimeout: .seconds(1), logger: service.context.logger)
            service.addService(pool)
            return pool
        }
    }
}

actor NodeManager: Service {
    let node: Int
    let nodes: DatabaseNodes
    let lease: EtcdLeaderLease
    let failover: Bool
    let replication: FailoverManager.Replication
    let tick: Duration
    let logger: Logger

    private var sawLeader = false
    private var role = "unknown"
    private var synchronousNames: String?
    private let promotions = Counter(label: "failover_promotions_total")
    private let fences = Counter(label: "failover_fenced_total")

    init(
        node: Int, nodes: DatabaseNodes, lease: EtcdLeaderLease, failover: Bool, replication: FailoverManager.Replication,
        tick: Duration, logger: Logger
    ) {
        self.node = node
        self.nodes = nodes
        self.lease = lease
        self.failover = failover
        self.replication = replication
        self.tick = tick
        self.logger = logger
        promotions.increment(by: 0)
        fences.increment(by: 0)
    }

    private var db: LabPostgres { nodes.pools[node] }
    private var url: String { nodes.urls[node] }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.step()
                try? await Task.sleep(for: self.tick)
            }
        }
    }

    func status() -> JSONValue {
        ["node": .number(Double(node + 1)), "role": .string(role), "leader": .bool(lease.isLeader)]
    }

    private func step() async {
        // Is my node alive, and what is it?
        guard
            let inRecovery = try? await withTimeout(
                .seconds(1),
                operation: { [db] in
                    try await db.query("SELECT pg_is_in_recovery()").first?.decode(Bool.self)
                }) ?? nil
        else {
            role = "down"
            return // not renewing: if we led, the lease runs out
        }
        let holder = try? await lease.etcd.get(FailoverManager.leaderKey)
        if holder != nil { sawLeader = true }

        if !inRecovery {
            if role != "fenced" { role = "primary" }
            if let holder, holder.value != url {
                await fence(holder.value) // someone else leads: this primary must not take writes
                return
            }
            if await lease.renew() { await keepReplicationMode() }
        } else {
            role = "standby"
            guard failover, sawLeader, holder == nil else { return }
            // The leader's lease expired: take the key (one winner), then promote.
            guard await lease.renew() else { return }
            logger.warning("leader lease expired: promoting node \(node + 1)")
            do {
                _ = try await db.query("SELECT pg_promote(true, 30)")
                promotions.increment()
                role = "primary"
            } catch {
                logger.error("promotion failed: \(error)")
                await lease.resign()
            }
        }
    }

    /// `sync`: while another node is a standby, a commit waits for a standby's flush (strict: a cut
    /// link makes writes wait, it does not switch replication off). With no standby left (after a
    /// failover), none is required.
    private func keepReplicationMode() async {
        var wanted = ""
        if replication == .sync {
            var standbys = 0
            for (index, pool) in nodes.pools.enumerated() where index != node {
                let standby = try? await withTimeout(
                    .seconds(1),
                    operation: {
                        try await pool.query("SELECT pg_is_in_recovery()").first?.decode(Bool.self)
                    })
                if standby == true { standbys += 1 }
            }
            if standbys > 0 { wanted = "ANY 1 (*)" }
        }
        guard wanted != synchronousNames else { return }
        do {
            try await db.query("ALTER SYSTEM SET synchronous_standby_names = \(unescaped: "'\(wanted)'")")
            try await db.query("SELECT pg_reload_conf()")
            synchronousNames = wanted
            logger.info("node \(node + 1): synchronous_standby_names = '\(wanted)'")
        } catch {
            logger.warning("could not set synchronous_standby_names: \(error)")
        }
    }

    /// Makes this node refuse writes: another node holds the leader key.
    private func fence(_ leader: String) async {
        guard role != "fenced" else { return }
        do {
            try await db.query("ALTER SYSTEM SET default_transaction_read_only = on")
            try await db.query("SELECT pg_reload_conf()")
            fences.increment()
            role = "fenced"
            logger.warning("node \(node + 1) is a primary but \(leader) leads: fenced (read-only)")
        } catch {
            logger.warning("could not fence node \(node + 1): \(error)")
        }
    }
}
