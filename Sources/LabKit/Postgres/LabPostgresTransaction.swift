import PostgresNIO
import Tracing

extension LabPostgres {
    /// One transaction on one pooled connection: `BEGIN ISOLATION LEVEL …`, the body's statements, then
    /// `COMMIT` (or `ROLLBACK` if the body throws; its error is rethrown as is). Each statement is a client
    /// span named by its verb, like `query`, so a trace shows where a transaction waited (a
    /// `SELECT … FOR UPDATE` blocked on a row lock).
    public func transaction<R: Sendable>(
        isolation: Transaction.Isolation = .readCommitted, _ body: @escaping @Sendable (Transaction) async throws -> R
    ) async throws -> R {
        try await withConnection { connection in
            let tx = Transaction(connection: connection, pool: self)
            try await tx.query("BEGIN ISOLATION LEVEL \(unescaped: isolation.rawValue)")
            do {
                let result = try await body(tx)
                try await tx.query("COMMIT") // under SERIALIZABLE the commit itself may fail with 40001
                return result
            } catch {
                _ = try? await tx.query("ROLLBACK")
                throw error
            }
        }
    }

    /// The open transaction `transaction(isolation:_:)` hands its body.
    public struct Transaction: Sendable {
        public enum Isolation: String, Sendable {
            case readCommitted = "READ COMMITTED"
            case repeatableRead = "REPEATABLE READ"
            case serializable = "SERIALIZABLE"
        }

        let connection: PostgresConnection
        let pool: LabPostgres

        /// One statement inside the transaction, read to the end, with the same span as `LabPostgres.query`.
        @discardableResult
        public func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
            try await pool.withStatementSpan(query.sql) {
                try await connection.query(query, logger: pool.logger).collect()
            }
        }
    }

    /// Whether a failed transaction may succeed if run again: serialization failure (40001) or
    /// deadlock (40P01).
    public static func isSerializationFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }
}
