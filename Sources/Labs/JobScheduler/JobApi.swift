import LabKit
import Metrics
import ServiceLifecycle

/// The queue's front door and its auditor.
///
///     POST /jobs/{id} → 201 {job}          GET /audit → the counts below
///
/// Counted by SQL over everything the workers committed (`invariant_violations{invariant=…}`):
/// - `duplicate_executions`: runs of a job beyond its first (rows in `executions`);
/// - `report_double_runs`: report slots enqueued more than once (the schedule ran on several replicas);
/// - `stuck_jobs`: jobs still not done 4 s after they were enqueued (a job runs 200 ms, a lease is 2 s).
/// And `job_redelivery_max_seconds`: the longest time between a claim and the next claim of the same
/// job (a killed worker's job is taken again once its lease has run out).
enum JobApi {
    static let invariants = [
        SQLInvariant("duplicate_executions", "SELECT count(*) - count(DISTINCT job_id) FROM executions"),
        SQLInvariant(
            "report_double_runs",
            """
            SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM jobs WHERE kind = 'report' GROUP BY slot) AS per_slot
            """),
        // Nothing legitimate takes this long: a job runs 200 ms, a lease is 2 s.
        SQLInvariant("stuck_jobs", "SELECT count(*) FROM jobs WHERE status <> 'done' AND created_at < now() - interval '4 seconds'"),
    ]
    static let knobs: [any LabKnob] = LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the api needs DATABASE_URL") }
        let checker = service.sqlInvariants(invariants, on: db, interval: .milliseconds(500))
        service.addService(RedeliveryAudit(db: db))
        let enqueued = Counter(label: "jobs_enqueued_total")
        enqueued.increment(by: 0)

        service.router.post("/jobs/:id") { _, _ -> Response in
            let id = try await db.query("INSERT INTO jobs DEFAULT VALUES RETURNING id").first?.decode(Int64.self) ?? 0
            enqueued.increment()
            return .json(["job": .number(Double(id))], status: .created)
        }

        service.router.get("/audit") { _, _ -> JSONValue in
            .object(checker.lastCounts.mapValues { .number(Double($0)) })
        }
    }
}

/// `job_redelivery_max_seconds` and `jobs_redelivered`, every 500 ms, from the claims table.
struct RedeliveryAudit: Service {
    let db: LabPostgres

    func run() async throws {
        let longest = Gauge(label: "job_redelivery_max_seconds")
        let redelivered = Gauge(label: "jobs_redelivered")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let row = try? await db.query(
                    """
                    SELECT coalesce(max(extract(epoch FROM later.claimed_at - earlier.claimed_at)), 0)::float8, count(DISTINCT later.job_id)
                    FROM claims earlier JOIN claims later ON later.job_id = earlier.job_id AND later.attempt = earlier.attempt + 1
                    """
                ).first, let (seconds, jobs) = try? row.decode((Double, Int).self) {
                    longest.record(seconds)
                    redelivered.record(jobs)
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
