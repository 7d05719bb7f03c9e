import Foundation
import LabKit
import Metrics
import ServiceLifecycle
import Synchronization

/// Takes orders: `POST /orders/{id}` inserts one row on the current leader — the node whose URL the
/// etcd key `/db/leader` holds (read every 200 ms; no key, or a node that does not answer, means the
/// write fails) — and answers 201 only once the INSERT has committed. That answer is a promise: every
/// acknowledged id is kept here (the client's own log) and read back from the leader every second.
/// - `orders_acknowledged`, `orders_lost` (acknowledged, not on the current leader): exact, from the
///   whole history;
/// - `orders_audit_timestamp_seconds`: when `orders_lost` was last computed (a stale audit is visible,
///   so `orders_lost == 0` can be trusted only with a fresh one);
/// - `write_outage_seconds`: the longest time between two acknowledged writes (the write-error window);
/// - `orders_total{outcome="acknowledged|failed"}`, `db_leader_node`.
///
/// A write's timeout abandons the INSERT rather than waiting for it: with synchronous replication cut,
/// PostgreSQL holds the commit until a standby confirms, and a cancelled client cannot make it let go.
/// The audit reads through a connection of its own per node, never queued behind those commits.
///
///     POST /orders/{id} → 201 {order, node} | 503 no leader / write failed
enum OrdersApi {
    static let timeoutKnob = Knob.milliseconds(
        "WRITE_TIMEOUT_MS", default: 1_000, in: 1...60_000, "how long a write may take before it counts as failed")
    static let knobs: [any LabKnob] = [timeoutKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        let nodes = try DatabaseNodes(service)
        guard let etcdURL = service.context.environment["ETCD_URL"], !etcdURL.isEmpty else {
            throw LabStartupError("the api needs ETCD_URL")
        }
        let router = LeaderRouter(etcd: EtcdClient(baseURL: etcdURL), nodes: nodes)
        let history = WriteHistory()
        let timeout = try service.knobs.read(timeoutKnob)
        service.addService(router)
        let auditNodes = try DatabaseNodes(service, poolName: "audit", poolSize: 1)
        service.addService(AcknowledgedWriteAudit(router: router, auditNodes: auditNodes, history: history))
        service.addReadinessCheck("leader") { guard router.leader != nil else { throw LabStartupError("no leader in etcd yet") } }
        let outcomes = { @Sendable (outcome: String) in Counter(label: "orders_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["acknowledged", "failed"] { outcomes(outcome).increment(by: 0) }
        let sequence = Atomic<Int64>(Int64(Date().timeIntervalSince1970 * 1000) * 1000)

        service.router.post("/orders/:id") { _, _ -> Response in
            guard let (node, db) = router.leader else {
                outcomes("failed").increment()
                history.failed()
                return .jsonError("no leader: the database is failing over (or nobody promotes)", status: .serviceUnavailable)
            }
            let id = sequence.add(1, ordering: .relaxed).newValue
            do {
                try await withAbandonment(after: timeout) { try await db.query("INSERT INTO orders (id) VALUES (\(id))") }
            } catch {
                // Not acknowledged: whatever happened to the row, nobody was promised it.
                outcomes("failed").increment()
                history.failed()
                return .jsonError("write on node \(node) failed: \(error)", status: .serviceUnavailable)
            }
            history.acknowledged(id)
            outcomes("acknowledged").increment()
            return .json(["order": .number(Double(id)), "node": .number(Double(node))], status: .created)
        }
    }
}

/// The leader, as etcd names it, with the pool of that node.
final class LeaderRouter: Service, Sendable {
    let etcd: EtcdClient
    let nodes: DatabaseNodes
    private let current = Mutex<Int?>(nil) // node index

    init(etcd: EtcdClient, nodes: DatabaseNodes) {
        self.etcd = etcd
        self.nodes = nodes
    }

    /// (node number, its pool), or nil while no node holds the lease.
    var leader: (Int, LabPostgres)? {
        current.withLock { $0 }.map { ($0 + 1, nodes.pools[$0]) }
    }

    /// The leader's node index, or nil while no node holds the lease.
    var leaderIndex: Int? { current.withLock { $0 } }

    func run() async throws {
        let leaderNode = Gauge(label: "db_leader_node")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let key = try await self.etcd.get(FailoverManager.leaderKey)
                    let node = key.flatMap { self.nodes.urls.firstIndex(of: $0.value) }
                    self.current.withLock { $0 = node }
                } catch {
                    // etcd unreachable: keep the last answer (the leader's lease may well still hold)
                }
                leaderNode.record(self.current.withLock { $0 }.map { $0 + 1 } ?? 0)
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

/// Every acknowledged order id, and when the last acknowledgement came.
final class WriteHistory: Sendable {
    private struct State {
        var acknowledged: [Int64] = []
        var lastAck: ContinuousClock.Instant?
        var lastFailure: ContinuousClock.Instant?
        var longestGap: Duration = .zero
    }
    private let state = Mutex(State())

    func acknowledged(_ id: Int64) {
        let now = ContinuousClock.now
        state.withLock { s in
            s.acknowledged.append(id)
            if let last = s.lastAck { s.longestGap = max(s.longestGap, now - last) }
            s.lastAck = now
        }
    }

    func failed() {
        let now = ContinuousClock.now
        state.withLock { $0.lastFailure = now }
    }

    var ids: [Int64] { state.withLock { $0.acknowledged } }

    /// The longest time without an acknowledgement while writes were being attempted: gaps between
    /// acknowledgements, and an ongoing one up to the last failed write.
    var longestGap: Duration {
        state.withLock { s in
            guard let lastAck = s.lastAck, let lastFailure = s.lastFailure, lastFailure > lastAck else { return s.longestGap }
            return max(s.longestGap, lastFailure - lastAck)
        }
    }
}

/// Every second: how many acknowledged orders the current leader does not have. The gauges of the
/// write history are recorded first, and the read is bounded and abandoned at its deadline, so no
/// database state can freeze them.
struct AcknowledgedWriteAudit: Service {
    let router: LeaderRouter
    let auditNodes: DatabaseNodes
    let history: WriteHistory

    func run() async throws {
        let acknowledged = Gauge(label: "orders_acknowledged")
        let lost = Gauge(label: "orders_lost")
        let outage = Gauge(label: "write_outage_seconds")
        let auditedAt = Gauge(label: "orders_audit_timestamp_seconds")
        lost.record(0)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let ids = history.ids
                acknowledged.record(ids.count)
                outage.record(history.longestGap.inSeconds)
                if let node = router.leaderIndex {
                    let db = auditNodes.pools[node]
                    let found =
                        ids.isEmpty
                        ? 0
                        : try? await withAbandonment(after: .seconds(1)) {
                            try await db.query("SELECT count(*) FROM orders WHERE id = ANY(\(ids))").first?.decode(Int.self) ?? 0
                        }
                    if let found {
                        lost.record(ids.count - found)
                        auditedAt.record(Date().timeIntervalSince1970)
                    }
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
