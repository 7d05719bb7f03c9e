import LabKit
import Synchronization

enum SelfTestBackend {
    static func build(_ service: LabService) async throws {
        let name = service.context.serviceName
        let db = try service.postgres()
        let redis = try service.redis()
        let schema = SchemaOnce()

        service.router.get("/work") { _, _ -> JSONValue in
            var reply: [String: JSONValue] = ["service": .string(name)]
            if let redis {
                reply["counter"] = .number(Double(try await redis.incr("selftest:work")))
            }
            if let db {
                try await schema.ensure(db)
                try await db.query("INSERT INTO selftest_visits (service) VALUES (\(name))")
                let rows = try await db.query("SELECT count(*) FROM selftest_visits")
                let count = try rows.first?.decode(Int.self) ?? 0
                reply["visits"] = .number(Double(count))
            }
            return .object(reply)
        }

        // Never answers and ignores cancellation, like a query on a connection that will never reply:
        // the platform's tests use it to check that SIGTERM still ends the process (LabService.shutdownGrace).
        service.router.get("/hang") { _, _ -> JSONValue in
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            return .object([:])
        }
    }
}

/// Creates the table on the first request (not at startup, so the service starts even while
/// PostgreSQL is still coming up; `/readyz` says when it is usable).
private final class SchemaOnce: Sendable {
    private let done = Mutex(false)

    func ensure(_ db: LabPostgres) async throws {
        guard !done.withLock({ $0 }) else { return }
        try await db.query(
            "CREATE TABLE IF NOT EXISTS selftest_visits (id bigserial PRIMARY KEY, service text NOT NULL, at timestamptz NOT NULL DEFAULT now())"
        )
        done.withLock { $0 = true }
    }
}
