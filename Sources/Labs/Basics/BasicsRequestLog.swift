import LabKit

extension BasicsLab {
    /// Where the api stores each request: `INSERT INTO requests … RETURNING id` (table from init.sql).
    protocol RequestLog: Sendable {
        func record(path: String) async throws -> Int
    }

    /// The naive way: ONE connection, opened at startup and used forever. When the database restarts
    /// (or the network cuts the connection) every later query fails until someone restarts the api.
    final class SingleConnectionLog: RequestLog {
        private let connection: PostgresConnection

        private init(_ connection: PostgresConnection) { self.connection = connection }

        static func connect(_ url: DatabaseURL, logger: Logger) async throws -> SingleConnectionLog {
            let configuration =
                if let socket = url.socketDirectory {
                    PostgresConnection.Configuration(
                        unixSocketPath: "\(socket)/.s.PGSQL.\(url.port)", username: url.user,
                        password: url.password, database: url.database)
                } else {
                    PostgresConnection.Configuration(
                        host: url.host ?? "127.0.0.1", port: url.port, username: url.user,
                        password: url.password, database: url.database, tls: .disable)
                }
            return SingleConnectionLog(
                try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger))
        }

        func record(path: String) async throws -> Int {
            try await withSpan("INSERT", ofKind: .client) { span in
                span.attributes["db.system.name"] = "postgresql"
                let rows = try await connection.query(
                    "INSERT INTO requests (path) VALUES (\(path)) RETURNING id",
                    logger: Logger(label: "naive-db")
                ).collect()
                return try rows.first?.decode(Int.self) ?? 0
            }
        }
    }

    /// The resilient way: LabKit's pool. A cut connection is replaced by a new one on the next lease,
    /// and a caller waits at most DB_ACQUIRE_TIMEOUT_MS for a connection (then `PoolExhausted`).
    struct PooledLog: RequestLog {
        let db: LabPostgres

        func record(path: String) async throws -> Int {
            let rows = try await db.query("INSERT INTO requests (path) VALUES (\(path)) RETURNING id")
            return try rows.first?.decode(Int.self) ?? 0
        }
    }
}
