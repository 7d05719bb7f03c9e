import LabKit

/// Four ways to sell one unit of an item. Each reads the stock, spends `think` (pricing, a fraud check:
/// the time a real checkout spends between reading and writing) and records the sale. Only the first
/// one is wrong.
enum PurchaseStrategy: String, Sendable, CaseIterable {
    /// Read, decide in the app, write back the computed value: two buyers who read the same stock both
    /// write `stock - 1`, one decrement is lost, and the last unit is sold twice.
    case naive
    /// Let the database decide: `UPDATE … SET stock = stock - 1 WHERE stock > 0` is one atomic step.
    case atomic
    /// The naive code inside a transaction whose read locks the row (`SELECT … FOR UPDATE`): the next
    /// buyer of the same item waits until this one commits, then reads the new stock.
    case forUpdate = "for-update"
    /// The naive code in a SERIALIZABLE transaction: PostgreSQL aborts one of two conflicting buyers
    /// with SQLSTATE 40001, and the app retries the whole transaction.
    case serializable
}

enum PurchaseOutcome: Sendable {
    case sold(order: Int, stockLeft: Int)
    case soldOut
    case noSuchItem
}

struct Purchaser: Sendable {
    let strategy: PurchaseStrategy
    let db: LabPostgres
    let logger: Logger
    /// Serializable only: retries the whole transaction on 40001 (LabKit's Retrier, jittered backoff).
    let retrier: Retrier<ContinuousClock>
    /// The app's work between reading the stock and writing it back (a real window, widened by a sleep).
    let think: @Sendable () async throws -> Void

    func buy(sale: String, item: Int) async throws -> PurchaseOutcome {
        switch strategy {
        case .naive: try await naive(sale, item)
        case .atomic: try await atomic(sale, item)
        case .forUpdate: try await lockingRead(sale, item)
        case .serializable: try await retrier.execute { _ in try await serializable(sale, item) }
        }
    }

    // BEFORE: three separate statements, and the decision is made on a value that may be stale.
    private func naive(_ sale: String, _ item: Int) async throws -> PurchaseOutcome {
        guard let stock = try await db.query("SELECT stock FROM items WHERE sale = \(sale) AND id = \(item)").first?.decode(Int.self) else {
            return .noSuchItem
        }
        guard stock > 0 else { return .soldOut }
        try await think()
        try await db.query("UPDATE items SET stock = \(stock - 1) WHERE sale = \(sale) AND id = \(item)")
        let order = try await db.query("INSERT INTO orders (sale, item_id, strategy) VALUES (\(sale), \(item), 'naive') RETURNING id")
        return .sold(order: try order.first?.decode(Int.self) ?? 0, stockLeft: stock - 1)
    }

    // AFTER: the read only shows the price; the database checks and decrements in one statement,
    // and the order is inserted in the same statement only if a unit was really taken.
    private func atomic(_ sale: String, _ item: Int) async throws -> PurchaseOutcome {
        guard let stock = try await db.query("SELECT stock FROM items WHERE sale = \(sale) AND id = \(item)").first?.decode(Int.self) else {
            return .noSuchItem
        }
        guard stock > 0 else { return .soldOut }
        try await think()
        let rows = try await db.query(
            """
            WITH taken AS (UPDATE items SET stock = stock - 1 WHERE sale = \(sale) AND id = \(item) AND stock > 0 RETURNING sale, id, stock)
            INSERT INTO orders (sale, item_id, strategy) SELECT sale, id, 'atomic' FROM taken RETURNING id, (SELECT stock FROM taken)
            """)
        guard let (order, left) = try rows.first?.decode((Int, Int).self) else { return .soldOut } // someone took the last one
        return .sold(order: order, stockLeft: left)
    }

    // AFTER (pessimistic): the naive code, but the read takes a row lock held until COMMIT.
    private func lockingRead(_ sale: String, _ item: Int) async throws -> PurchaseOutcome {
        try await db.transaction(isolation: .readCommitted) { tx in
            try await readComputeWrite(tx, sale, item, lock: true)
        }
    }

    // AFTER (optimistic): the naive code in a SERIALIZABLE transaction; a conflict aborts it (40001).
    private func serializable(_ sale: String, _ item: Int) async throws -> PurchaseOutcome {
        try await db.transaction(isolation: .serializable) { tx in
            try await readComputeWrite(tx, sale, item, lock: false)
        }
    }

    private func readComputeWrite(_ tx: LabPostgres.Transaction, _ sale: String, _ item: Int, lock: Bool) async throws -> PurchaseOutcome {
        let read: PostgresQuery =
            lock
            ? "SELECT stock FROM items WHERE sale = \(sale) AND id = \(item) FOR UPDATE"
            : "SELECT stock FROM items WHERE sale = \(sale) AND id = \(item)"
        guard let stock = try await tx.query(read).first?.decode(Int.self) else { return .noSuchItem }
        guard stock > 0 else { return .soldOut }
        try await think()
        try await tx.query("UPDATE items SET stock = \(stock - 1) WHERE sale = \(sale) AND id = \(item)")
        let order = try await tx.query(
            "INSERT INTO orders (sale, item_id, strategy) VALUES (\(sale), \(item), \(strategy.rawValue)) RETURNING id")
        return .sold(order: try order.first?.decode(Int.self) ?? 0, stockLeft: stock - 1)
    }
}
