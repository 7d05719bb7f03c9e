import LabKit
import PostgresNIO

/// KEY IDEA: "find a queued job, then mark it running" is two steps, and two workers that look at the
/// same moment both take the same job and both run it. And a worker that dies holding a job leaves it
/// "running" forever: nobody knows it is dead. The database arbitrates both: one statement takes the
/// first job nobody else is taking (`FOR UPDATE SKIP LOCKED`) and gives it a *lease* — a visibility
/// timeout after which it is queued again for anyone. The attempt number taken with the lease fences
/// the completion: a worker whose lease ran out and was taken over cannot complete (or record the
/// effect of) a job that is no longer its own. The effect and the completion commit together.
enum ClaimStrategy: String, Sendable, CaseIterable {
    /// SELECT the first queued job, then UPDATE it to running; no lease; completion unconditional.
    case naive
    /// One UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) with lease_until; re-delivery of
    /// expired leases; completion only while the attempt is still ours.
    case skipLocked = "skip-locked"
}

struct ClaimedJob: Sendable {
    let id: Int64
    let attempt: Int
}

struct JobClaims: Sendable {
    let strategy: ClaimStrategy
    let db: LabPostgres
    let worker: String
    let lease: Duration

    private var leaseSeconds: Double { lease.inSeconds }

    func claim() async throws -> ClaimedJob? {
        switch strategy {
        case .naive: try await naiveClaim()
        case .skipLocked: try await leasedClaim()
        }
    }

    // BEFORE: look, then take. Between the two statements another worker looks at the same row.
    private func naiveClaim() async throws -> ClaimedJob? {
        guard let id = try await db.query("SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1").first?.decode(Int64.self)
        else {
            return nil
        }
        let rows = try await db.query(
            """
            UPDATE jobs SET status = 'running', worker = \(worker), attempt = attempt + 1 WHERE id = \(id) RETURNING attempt
            """)
        let attempt = try rows.first?.decode(Int.self) ?? 1
        try await db.query("INSERT INTO claims (job_id, attempt, worker) VALUES (\(id), \(attempt), \(worker))")
        return ClaimedJob(id: id, attempt: attempt)
    }

    // AFTER: take the first job that is queued, or whose lease has run out (its worker is gone), in one
    // statement; SKIP LOCKED hands concurrent claimers different jobs.
    private func leasedClaim() async throws -> ClaimedJob? {
        let rows = try await db.query(
            """
            WITH picked AS (
                SELECT id FROM jobs
                WHERE status = 'queued' OR (status = 'running' AND lease_until < now())
                ORDER BY id LIMIT 1
                FOR UPDATE SKIP LOCKED),
            taken AS (
                UPDATE jobs j SET status = 'running', worker = \(worker), attempt = j.attempt + 1,
                                  lease_until = now() + make_interval(secs => \(leaseSeconds))
                FROM picked WHERE j.id = picked.id
                RETURNING j.id, j.attempt)
            INSERT INTO claims (job_id, attempt, worker) SELECT id, attempt, \(worker) FROM taken
            RETURNING job_id, attempt
            """)
        guard let (id, attempt) = try rows.first?.decode((Int64, Int).self) else { return nil }
        return ClaimedJob(id: id, attempt: attempt)
    }

    /// Records the job's effect and marks it done. Naive: always. Leased: only if the job is still
    /// ours at this attempt — otherwise nothing is written and false is returned (it was re-delivered).
    func complete(_ job: ClaimedJob) async throws -> Bool {
        switch strategy {
        case .naive:
            try await db.query("INSERT INTO executions (job_id, worker) VALUES (\(job.id), \(worker))")
            try await db.query("UPDATE jobs SET status = 'done' WHERE id = \(job.id)")
            return true
        case .skipLocked:
            let rows = try await db.query(
                """
                WITH done AS (
                    UPDATE jobs SET status = 'done', lease_until = NULL
                    WHERE id = \(job.id) AND status = 'running' AND worker = \(worker) AND attempt = \(job.attempt)
                    RETURNING id)
                INSERT INTO executions (job_id, worker) SELECT id, \(worker) FROM done RETURNING job_id
                """)
            return !rows.isEmpty
        }
    }
}
