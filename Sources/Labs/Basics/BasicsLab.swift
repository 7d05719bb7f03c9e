import LabKit

/// Week 0: distributed basics — the course's first lab.
///
///     api  GET /process → INSERT the request into PostgreSQL (DATABASE_URL)
///                       → worker GET /work (~2 s of simulated work)
///
/// `STRATEGY=naive` is the code everybody writes first (one database connection, no timeouts, no
/// error handling); `STRATEGY=resilient` bounds every wait and answers a JSON 503 that names the
/// dependency that failed, and gets its connections back when the dependency returns.
enum BasicsLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api",
            "GET /process: stores the request in PostgreSQL, calls worker GET /work (STRATEGY=naive|resilient)",
            build: ProcessApi.build),
        .init(
            "worker", "GET /work: simulates WORK_MS (2000) of work, answers {\"status\":\"done\"}",
            build: Worker.build),
    ]
}
