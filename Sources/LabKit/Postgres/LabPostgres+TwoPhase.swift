import PostgresNIO

/// PostgreSQL's two-phase commit, the participant's half: `PREPARE TRANSACTION` makes a transaction's
/// changes durable and its locks permanent *without* committing, until someone — any session, even
/// after the preparing connection is gone or the server restarted — says `COMMIT PREPARED` or
/// `ROLLBACK PREPARED` with its global id. The server needs `max_prepared_transactions` > 0.
extension LabPostgres {
    /// Runs `body` in a transaction and prepares it as `gid` (the vote "yes"); if the body throws,
    /// rolls back (the vote "no") and rethrows. After it returns, the changes are neither visible nor
    /// undone, and their row locks stay held, until `commitPrepared`/`rollbackPrepared`.
    public func prepareTransaction(_ gid: String, _ body: @escaping @Sendable (Transaction) async throws -> Void) async throws {
        let statement = try Self.preparedStatement("PREPARE TRANSACTION", gid)
        try await withConnection { connection in
            let tx = Transaction(connection: connection, pool: self)
            try await tx.query("BEGIN")
            do {
                try await body(tx)
                try await tx.query(statement)
            } catch {
                _ = try? await tx.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Commits the prepared transaction `gid` (phase two). Fails with 42704 if no such transaction is prepared.
    public func commitPrepared(_ gid: String) async throws {
        try await query(try Self.preparedStatement("COMMIT PREPARED", gid))
    }

    /// Rolls back the prepared transaction `gid`.
    public func rollbackPrepared(_ gid: String) async throws {
        try await query(try Self.preparedStatement("ROLLBACK PREPARED", gid))
    }

    /// The global ids of the transactions prepared in this database and not yet resolved (in doubt),
    /// with their age in seconds, oldest first; only those starting with `prefix`.
    public func preparedTransactions(prefix: String = "") async throws -> [(gid: String, ageSeconds: Double)] {
        let rows = try await query(
            """
            SELECT gid, extract(epoch FROM now() - prepared)::float8 FROM pg_prepared_xacts
            WHERE database = current_database() AND starts_with(gid, \(prefix)) ORDER BY prepared
            """)
        return try rows.map { try $0.decode((String, Double).self) }
    }

    /// The statement for `gid`: these take a literal, not a bound parameter, so the id is checked
    /// to be plain (letters, digits, `-`, `_`, `.`, `:`) before it is written into the SQL.
    static func preparedStatement(_ verb: String, _ gid: String) throws -> PostgresQuery {
        guard !gid.isEmpty, gid.utf8.count < 200,
            gid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) })
        else {
            throw InvalidGlobalTransactionID(gid: gid)
        }
        return PostgresQuery(unsafeSQL: "\(verb) '\(gid)'")
    }

    /// Whether `error` says the prepared transaction does not exist (already resolved, or never prepared).
    public static func isUnknownPreparedTransaction(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "42704"
    }
}

public struct InvalidGlobalTransactionID: Error, CustomStringConvertible {
    public let gid: String
    public var description: String { "'\(gid)' is not a usable global transaction id (letters, digits, - _ . : only)" }
}
