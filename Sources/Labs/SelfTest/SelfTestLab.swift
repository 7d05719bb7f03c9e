import LabKit

/// The smallest complete lab: used by the control-plane tests to prove that services start, call each
/// other with trace propagation, use real infrastructure, report readiness and take faults.
///
///     frontend  GET /hello → backend GET /work → { INCR in Redis, INSERT + count in PostgreSQL }
enum SelfTestLab {
    static let lab = LabServiceRegistry.Lab(
        id: "selftest",
        title: "Self-test: frontend → backend → Redis + PostgreSQL",
        aliases: ["self-test"],
        roles: [
            .init("frontend", "GET /hello, calls backend GET /work (BACKEND_URL)", build: SelfTestFrontend.build),
            .init(
                "backend", "GET /work: INCR in Redis (REDIS_URL), INSERT + count in PostgreSQL (DATABASE_URL)", build: SelfTestBackend.build
            ),
        ]
    )
}
