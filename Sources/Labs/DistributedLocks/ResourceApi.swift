import LabKit
import Metrics
import ServiceLifecycle

/// The resource's readers' door and its auditor.
///
///     GET /resource → {value, token, version, holder}      GET /audit → the counts below
///
/// Counted by SQL over what PostgreSQL applied (`writes` holds every write attempt; an applied one has
/// the resource `version` it produced, and versions are handed out under the row's lock, so they order
/// the applied writes exactly as the storage applied them):
/// - `stale_writes` (`invariant_violations`): applied writes whose token is lower than the token of a
///   write applied before them — a write from a holder whose lock had expired and been granted to
///   another holder, who had already written;
/// - `lost_updates` (`invariant_violations`): the resource's version minus its value. Every applied
///   write sets value = (the value it read) + 1, so under a lock that holds, value == version; a stale
///   write sets the value back and erases every update applied since its holder read it;
/// - `resource_writes{outcome=applied|rejected}`: write attempts the storage applied / refused (fencing).
enum ResourceApi {
    static let invariants = [
        SQLInvariant(
            "stale_writes",
            """
            SELECT count(*) FROM (
                SELECT token, max(token) OVER (ORDER BY version ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS highest_before
                FROM writes WHERE version IS NOT NULL) AS applied
            WHERE token < highest_before
            """),
        SQLInvariant("lost_updates", "SELECT version - value FROM resource WHERE id = 1"),
    ]
    static let knobs: [any LabKnob] = LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the api needs DATABASE_URL") }
        let checker = service.sqlInvariants(invariants, on: db, interval: .milliseconds(500))
        let audit = WriteAudit(db: db)
        service.addService(audit)
        let resource = SharedResource(db: db, fencing: .on) // read only: the api never writes

        service.router.get("/resource") { _, _ -> JSONValue in
            let state = try await resource.read()
            return [
                "value": .number(Double(state.value)), "token": .number(Double(state.token)),
                "version": .number(Double(state.version)), "holder": state.holder.map { .string($0) } ?? .null,
            ]
        }

        service.router.get("/audit") { _, _ -> JSONValue in
            var counts = checker.lastCounts.mapValues { JSONValue.number(Double($0)) }
            for (name, count) in try await audit.counts() { counts[name] = .number(Double(count)) }
            return .object(counts)
        }
    }
}

/// `resource_writes{outcome=applied|rejected}`, `resource_value` and `resource_version`, every 500 ms, from the tables.
struct WriteAudit: Service {
    let db: LabPostgres

    func counts() async throws -> [String: Int] {
        let rows = try await db.query(
            """
            SELECT count(*) FILTER (WHERE version IS NOT NULL), count(*) FILTER (WHERE version IS NULL),
                   (SELECT value FROM resource WHERE id = 1), (SELECT version FROM resource WHERE id = 1)
            FROM writes
            """)
        guard let (applied, rejected, value, version) = try rows.first?.decode((Int, Int, Int, Int).self) else { return [:] }
        return ["writes_applied": applied, "writes_rejected": rejected, "value": value, "version": version]
    }

    func run() async throws {
        let applied = Gauge(label: "resource_writes", dimensions: [("outcome", "applied")])
        let rejected = Gauge(label: "resource_writes", dimensions: [("outcome", "rejected")])
        let value = Gauge(label: "resource_value")
        let version = Gauge(label: "resource_version")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let counts = try? await counts() {
                    applied.record(counts["writes_applied"] ?? 0)
                    rejected.record(counts["writes_rejected"] ?? 0)
                    value.record(counts["value"] ?? 0)
                    version.record(counts["version"] ?? 0)
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
