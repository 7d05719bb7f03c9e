import LabKit

/// One transaction on one pooled connection: `BEGIN ISOLATION LEVEL …`, the body's statements, then
/// `COMMIT` (or `ROLLBACK` if the body throws). Every statement is a client span, like `LabPostgres.query`,
/// so a trace shows where a transaction waited (a `SELECT … FOR UPDATE` blocked on a row lock).
struct SQLTransaction: Sendable {
    enum Isolation: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case serializable = "SERIALIZABLE"
    }

    let connection: PostgresConnection
    let logger: Logger

    static func run<R: Sendable>(
        on db: LabPostgres, isolation: Isolation, logger: Logger, _ body: @escaping @Sendable (SQLTransaction) async throws -> R
    ) async throws -> R {
        try await db.withConnection { connection in
            let tx = SQLTransaction(connection: connection, logger: logger)
            try await tx.query("BEGIN ISOLATION LEVEL \(unescaped: isolation.rawValue)")
            do {
                let result = try await body(tx)
                try await tx.query("COMMIT")  // under SERIALIZABLE the commit itself may fail with 40001
                return result
            } catch {
                _ = try? await tx.query("ROLLBACK")
                throw error
            }
        }
    }

    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let verb = query.sql.split(whereSeparator: { $0.isWhitespace }).first.map { $0.uppercased() } ?? "QUERY"
        return try await withSpan(verb, ofKind: .client) { span in
            span.attributes["db.system.name"] = "postgresql"
            span.attributes["db.query.text"] = query.sql
            span.attributes["db.operation.name"] = verb
            return try await connection.query(query, logger: logger).collect()
        }
    }
}

/// The SQLSTATEs a retry can cure: serialization failure and deadlock.
func isSerializationFailure(_ error: any Error) -> Bool {
    guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
    return state == "40001" || state == "40P01"
}
