import LabKit

/// KEY IDEA: "read the stock, decide in the app, write the new value back" is a race whenever two
/// requests touch the same row: both read 1, both sell, both write 0. Every request believes it
/// succeeded and no error is logged anywhere; only the data shows the damage (more orders than units,
/// decrements that vanished). So the lab's invariants are SQL queries over what was committed, exported
/// as the gauge `invariant_violations{invariant=…}`. The fixes make the check and the write one step
/// (an atomic conditional UPDATE), serialize the buyers of one row (`SELECT … FOR UPDATE`), or let the
/// database detect the conflict and retry (SERIALIZABLE + retry on SQLSTATE 40001).
///
///     POST /sales/{sale}/items/{id}/buy  → 200 {order, stock_left} | 409 sold out | 404 | 503
///     GET  /sales/{sale}/items/{id}      → {stock, initial_stock, orders}
///     GET  /invariants                   → the last counts of the invariants below
enum ShopService {
    /// The shop's rules, each as a count of violations (0 = the rule holds).
    static let invariants = [
        // More orders for an item than it ever had in stock.
        SQLInvariant(
            "oversold",
            """
            SELECT coalesce(sum(greatest(0, o.n - i.initial_stock)), 0)
            FROM items i JOIN (SELECT sale, item_id, count(*) AS n FROM orders GROUP BY sale, item_id) o
              ON o.sale = i.sale AND o.item_id = i.id
            """),
        // stock = initial_stock − orders: every order must have taken exactly one unit.
        SQLInvariant(
            "lost_updates",
            """
            SELECT coalesce(sum(abs((i.initial_stock - i.stock) - coalesce(o.n, 0))), 0)
            FROM items i LEFT JOIN (SELECT sale, item_id, count(*) AS n FROM orders GROUP BY sale, item_id) o
              ON o.sale = i.sale AND o.item_id = i.id
            """),
    ]

    static let strategyKnob = Knob<PurchaseStrategy>.choice(
        "STRATEGY", default: .naive,
        "how one unit is sold: `naive` (read, compute, write back), `atomic` (conditional UPDATE), "
            + "`for-update` (locking read in a transaction), `serializable` (retry on 40001)")
    static let workKnob = Knob.milliseconds(
        "WORK_MS", default: 20, in: 0...60_000,
        "the time between reading the stock and writing it (`work_ms` in PUT /admin/config overrides it)")
    static let attemptsKnob = Knob.wholeNumber(
        "SERIALIZABLE_ATTEMPTS", default: 10, in: 1...1_000,
        "`serializable`: attempts per purchase (retries after a serialization failure)")
    static let knobs: [any LabKnob] = [strategyKnob, workKnob, attemptsKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the shop needs DATABASE_URL (PostgreSQL)") }
        let strategy = try service.knobs.read(strategyKnob)
        let checker = service.sqlInvariants(invariants, on: db, interval: .milliseconds(250))
        let config = service.context.config
        let defaultWorkMs = Int(try service.knobs.read(workKnob) / .milliseconds(1))
        let attempts = try service.knobs.read(attemptsKnob)
        let purchaser = Purchaser(
            strategy: strategy, db: db, logger: service.context.logger,
            retrier: Retrier(
                name: "serializable",
                policy: RetryPolicy(
                    maxAttempts: attempts,
                    backoff: Backoff(base: .milliseconds(5), multiplier: 2, cap: .milliseconds(100), jitter: .full),
                    isRetryable: LabPostgres.isSerializationFailure)),
            think: {
                let ms = config.int("work_ms", default: defaultWorkMs) ?? defaultWorkMs
                if ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
            })
        // What the shop believes it did, per sale (only sales that exist get a series).
        let outcomes: @Sendable (String, String) -> Counter = { sale, outcome in
            Counter(label: "shop_purchases_total", dimensions: [("sale", sale), ("outcome", outcome), ("strategy", strategy.rawValue)])
        }

        service.router.post("/sales/:sale/items/:id/buy") { _, context -> Response in
            let sale = context.parameters.get("sale") ?? ""
            guard let item = context.parameters.get("id", as: Int.self) else {
                return .jsonError("item id must be a number", status: .badRequest)
            }
            do {
                switch try await purchaser.buy(sale: sale, item: item) {
                case .sold(let order, let left):
                    outcomes(sale, "sold").increment()
                    return .json([
                        "order": .number(Double(order)), "stock_left": .number(Double(left)), "strategy": .string(strategy.rawValue),
                    ])
                case .soldOut:
                    outcomes(sale, "sold_out").increment()
                    return .jsonError("sold out", status: .conflict)
                case .noSuchItem:
                    return .jsonError("no item \(item) in sale '\(sale)'", status: .notFound)
                }
            } catch {
                outcomes(sale, "failed").increment()
                return .jsonError("purchase failed: \(String(reflecting: error))", status: .serviceUnavailable)
            }
        }

        service.router.get("/sales/:sale/items/:id") { _, context -> Response in
            let sale = context.parameters.get("sale") ?? ""
            guard let item = context.parameters.get("id", as: Int.self) else {
                return .jsonError("item id must be a number", status: .badRequest)
            }
            let rows = try await db.query(
                """
                SELECT i.stock, i.initial_stock, (SELECT count(*) FROM orders o WHERE o.sale = i.sale AND o.item_id = i.id)
                FROM items i WHERE i.sale = \(sale) AND i.id = \(item)
                """)
            guard let (stock, initial, orders) = try rows.first?.decode((Int, Int, Int).self) else {
                return .jsonError("no item \(item) in sale '\(sale)'", status: .notFound)
            }
            return .json(["stock": .number(Double(stock)), "initial_stock": .number(Double(initial)), "orders": .number(Double(orders))])
        }

        service.router.get("/invariants") { _, _ -> JSONValue in
            .object(checker.lastCounts.mapValues { .number(Double($0)) })
        }
    }
}
