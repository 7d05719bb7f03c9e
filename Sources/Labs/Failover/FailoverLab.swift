import LabKit

/// Week 30: failover.
///
///     load generator → api POST /orders/{id} → the leader (the node named by etcd's /db/leader) ─┐
///     manager-1 watches node 1 (the primary), manager-2 node 2 (the standby)                    │
///     PostgreSQL node 1 ══(WAL, through the db-replication fault proxy)══▶ node 2  ◀────────────┘
///
/// `FAILOVER` (managers): `off` (the leader key follows the first primary only) or `on` (a standby's
/// manager takes the expired lease and promotes its node). `REPLICATION`: `async` or `sync` (the
/// leader requires a standby to flush each commit while one exists).
enum FailoverLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api",
            "POST /orders/{id}: one INSERT on the leader (from etcd); records every acknowledged id and reads them back (lost writes)",
            build: OrdersApi.build),
        .init(
            "manager",
            "one per PostgreSQL node: health checks, the etcd leader lease, promotion (FAILOVER), synchronous replication (REPLICATION)",
            build: FailoverManager.build),
    ]
    static let knobs: [String: [any LabKnob]] = ["api": OrdersApi.knobs, "manager": FailoverManager.knobs]
}
