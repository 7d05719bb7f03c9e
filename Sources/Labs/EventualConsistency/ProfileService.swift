import LabKit
import Metrics
import PostgresNIO
import ServiceLifecycle

/// KEY IDEA: a standby is a copy of the primary *some time ago*. Reading your own write from it right
/// after the write shows the past — the profile you just saved, unsaved. Read-your-writes: the write
/// hands back the primary's WAL position after its commit (an LSN); a read that carries it is served
/// by the standby only once the standby has replayed that far (`pg_last_wal_replay_lsn()`), and by the
/// primary if that takes longer than a bound. Reads without a token still go to the standby.
///
///     POST /profiles/{id}  {"bio": "…"}      → 200 {version, lsn}            (primary)
///     GET  /profiles/{id}  [x-min-lsn: LSN]  → 200 {version, source} | 404   (standby, or primary)
enum ProfileService {
    static let consistencyKnob = Knob<ReadConsistency>.choice(
        "READ_CONSISTENCY", default: .eventual,
        "how a read carrying its writer's LSN is served: `eventual` (the standby at once), `read-your-writes` "
            + "(the standby once it has replayed the LSN, else the primary after RYW_MAX_WAIT_MS)")
    static let maxWaitKnob = Knob.milliseconds(
        "RYW_MAX_WAIT_MS", default: 1_000, in: 0...60_000, "read-your-writes: the longest wait for the standby before reading the primary")
    static let pollKnob = Knob.milliseconds(
        "RYW_POLL_MS", default: 10, in: 1...1_000,
        "read-your-writes: how often the standby's replay position is read (one query for every waiting reader)")
    static let knobs: [any LabKnob] = [consistencyKnob, maxWaitKnob, pollKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let primary = try service.postgres(poolName: "primary") else {
            throw LabStartupError("profiles needs DATABASE_URL (the primary)")
        }
        let standby = try service.postgres(urlVariable: "DB_STANDBY_URL", poolName: "standby")
        let consistency = try service.knobs.read(consistencyKnob)
        let reads = ReadYourWrites(
            standby: standby, maxWait: try service.knobs.read(maxWaitKnob), pollInterval: try service.knobs.read(pollKnob))
        service.addService(reads)
        service.addService(ReplicationLagMonitor(primary: primary, standby: standby))
        let served = { @Sendable (source: String) in Counter(label: "profile_reads_total", dimensions: [("source", source)]) }
        for source in ["standby", "primary"] { served(source).increment(by: 0) }

        service.router.post("/profiles/:id") { request, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else { return .jsonError("id must be a number", status: .badRequest) }
            let body = try? await request.body.collect(upTo: 64 * 1024)
            let bio = body.flatMap { try? JSONValue.parse($0.readableBytesView) }?["bio"]?.stringValue ?? ""
            let rows = try await primary.query(
                """
                INSERT INTO profiles (id, version, bio, updated_at) VALUES (\(id), 1, \(bio), now())
                ON CONFLICT (id) DO UPDATE SET version = profiles.version + 1, bio = excluded.bio, updated_at = now()
                RETURNING version
                """)
            let version = try rows.first?.decode(Int.self) ?? 0
            // After the commit: the WAL insert position is at or past our commit record.
            let lsn = try await primary.query("SELECT pg_current_wal_insert_lsn()::text").first?.decode(String.self) ?? "0/0"
            return .json(["version": .number(Double(version)), "lsn": .string(lsn)])
        }

        service.router.get("/profiles/:id") { request, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else { return .jsonError("id must be a number", status: .badRequest) }
            var minLSN: LSN?
            if let header = request.headers[.init("x-min-lsn")!] {
                guard let lsn = LSN(header) else { return .jsonError("x-min-lsn must be an LSN like 0/16B3748", status: .badRequest) }
                minLSN = lsn
            }
            let source = await reads.source(for: minLSN, consistency)
            served(source.rawValue).increment()
            let db = source == .standby ? standby : primary
            guard let version = try await db.query("SELECT version FROM profiles WHERE id = \(id)").first?.decode(Int.self) else {
                return .json(["error": .string("no profile \(id)"), "source": .string(source.rawValue)], status: .notFound)
            }
            return .json(["version": .number(Double(version)), "source": .string(source.rawValue)])
        }
    }
}

/// How far behind the standby is, every 500 ms: `replica_replay_lag_seconds` (now − the commit time
/// of the last transaction it replayed; grows while nothing is written) and `replica_replay_lag_bytes`
/// (WAL the primary has written that the standby has not replayed yet, from `pg_stat_replication`).
struct ReplicationLagMonitor: Service {
    let primary: LabPostgres
    let standby: LabPostgres

    func run() async throws {
        let seconds = Gauge(label: "replica_replay_lag_seconds")
        let bytes = Gauge(label: "replica_replay_lag_bytes")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let lag = try? await standby.query(
                    "SELECT coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)::float8"
                ).first?.decode(Double.self) {
                    seconds.record(lag)
                }
                if let behind = try? await primary.query(
                    "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::float8 FROM pg_stat_replication"
                )
                .first?.decode(Double.self) {
                    bytes.record(behind)
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
