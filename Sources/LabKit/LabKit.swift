@_exported import Hummingbird
@_exported import Logging
@_exported import Metrics
@_exported import PostgresNIO
// LabKit: what every lab service shares. See DESIGN.md.
//
//   Service/       LabService (the Hummingbird app), LabRequestContext, LabConfig, LabServiceRegistry
//   Knobs/         Knob, KnobReader, KnobTable: the knobs a service reads from its environment, strictly, and lists
//   Faults/        the /admin/faults and /admin/config API and the middleware that applies faults
//   HTTP/          PeerClient: traced, timed, deadline-aware calls to other services
//   Postgres/      LabPostgres: a PostgresNIO pool with query spans and pool metrics
//   Redis/         RedisClient: hiredis (CHiredis) behind a pool, with client spans and metrics
//   Etcd/          EtcdClient (v3 JSON gateway: keys, leases, transactions) and EtcdLeaderLease
//   Resilience/    the patterns labs teach: retry, budget, circuit breaker, bulkhead, rate limiting,
//                  timeouts and deadlines, hedging, load shedding, coalescing (each against a Clock)
//   FaultProxy/    the fault-injecting TCP proxy (`labsvc proxy`): toxics, down/up, its admin API
//   TelemetryGlue/ the concrete Telemetry backends behind the tracing/metrics/logging facades
@_exported import Telemetry
@_exported import Tracing
