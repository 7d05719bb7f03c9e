import LabKit
import Synchronization

extension ConnectionPoolExhaustionLab {
    /// A LabKit pool (in-use / waiting / acquire-time metrics, acquire timeout) whose connections run
    /// every statement under the pool's `statement_timeout`.
    struct TimedPool: Sendable {
        let db: LabPostgres
        let statementTimeoutMilliseconds: Int

        init(_ settings: PoolSettings, url: DatabaseURL, service: LabService) {
            db = LabPostgres(
                url: url, poolName: settings.name, poolSize: settings.size, acquireTimeout: settings.acquireTimeout,
                logger: service.context.logger)
            statementTimeoutMilliseconds = settings.statementTimeoutMilliseconds
            service.addService(db)
        }

        /// Leases a connection (waiting at most the acquire timeout), sets the statement timeout on it,
        /// runs `query` and reads its rows. The wait for the connection is its own span, so a trace
        /// shows how much of a slow "query" was queueing for the pool and how much was PostgreSQL.
        func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
            let verb = query.sql.split(separator: " ").first.map { $0.uppercased() } ?? "QUERY"
            return try await withSpan(verb, ofKind: .client) { span in
                span.attributes["db.system.name"] = "postgresql"
                span.attributes["db.query.text"] = query.sql
                span.attributes["db.client.connection.pool.name"] = db.poolName
                let timeout = statementTimeoutMilliseconds
                let wait = ConnectionWaitSpan(pool: db.poolName)
                do {
                    let rows = try await db.withConnection { connection in
                        wait.end(acquired: true)
                        let logger = Logger(label: "pool")
                        // A session setting: it stays on the connection, so every lease sets it again.
                        try await connection.query(PostgresQuery(unsafeSQL: "SET statement_timeout = \(timeout)"), logger: logger)
                        return try await connection.query(query, logger: logger).collect()
                    }
                    return rows
                } catch {
                    wait.end(acquired: false)
                    throw error
                }
            }
        }
    }

    /// "wait for connection (pool X)": from asking the pool until a connection arrives or the wait
    /// gives up. Ended exactly once.
    final class ConnectionWaitSpan: Sendable {
        private let span: any Span
        private let ended = Mutex(false)

        init(pool: String) {
            span = startSpan("wait for connection (pool \(pool))", ofKind: .internal)
            span.attributes["db.client.connection.pool.name"] = pool
        }

        func end(acquired: Bool) {
            guard
                ended.withLock({ done in
                    defer { done = true }
                    return !done
                })
            else { return }
            if !acquired { span.setStatus(.init(code: .error)) }
            span.end()
        }
    }
}
