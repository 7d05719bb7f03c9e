import LabKit
import Metrics
import ServiceLifecycle

/// The reconciliation job: SQL over every participant's table (`invariant_violations{invariant=…}`).
/// An order is consistent when it is completed and every participant did its step, or when no
/// participant still holds anything for it. At the end of a run with no load, what is left is what
/// nobody will ever fix:
/// - `inconsistent_orders`: any other combination;
/// - `charged_without_order`: payment captured, no completed order;
/// - `stock_held_without_order`: a reservation held, no completed order;
/// - `shipped_without_order`: a shipment scheduled, no completed order;
/// - `completed_not_fulfilled`: a completed order some participant does not (or no longer) hold.
enum SagaAuditor {
    static let invariants = [
        SQLInvariant(
            "inconsistent_orders",
            """
            WITH ids AS (SELECT order_id FROM reservations UNION SELECT order_id FROM payments UNION SELECT order_id FROM shipments),
            state AS (
                SELECT EXISTS (SELECT 1 FROM reservations r WHERE r.order_id = i.order_id AND r.status = 'reserved') AS reserved,
                       EXISTS (SELECT 1 FROM payments p WHERE p.order_id = i.order_id AND p.status = 'captured') AS paid,
                       EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = i.order_id AND s.status = 'scheduled') AS shipped,
                       EXISTS (SELECT 1 FROM orders o WHERE o.order_id = i.order_id AND o.status = 'completed') AS completed
                FROM ids i)
            SELECT count(*) FROM state
            WHERE NOT ((completed AND reserved AND paid AND shipped) OR (NOT completed AND NOT reserved AND NOT paid AND NOT shipped))
            """),
        SQLInvariant(
            "charged_without_order",
            """
            SELECT count(DISTINCT p.order_id) FROM payments p WHERE p.status = 'captured'
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = p.order_id AND o.status = 'completed')
            """),
        SQLInvariant(
            "stock_held_without_order",
            """
            SELECT count(DISTINCT r.order_id) FROM reservations r WHERE r.status = 'reserved'
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = r.order_id AND o.status = 'completed')
            """),
        SQLInvariant(
            "shipped_without_order",
            """
            SELECT count(DISTINCT s.order_id) FROM shipments s WHERE s.status = 'scheduled'
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = s.order_id AND o.status = 'completed')
            """),
        SQLInvariant(
            "completed_not_fulfilled",
            """
            SELECT count(*) FROM orders o WHERE o.status = 'completed' AND NOT (
                EXISTS (SELECT 1 FROM reservations r WHERE r.order_id = o.order_id AND r.status = 'reserved')
                AND EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.order_id AND p.status = 'captured')
                AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.order_id AND s.status = 'scheduled'))
            """),
    ]
    static let knobs: [any LabKnob] = LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the auditor needs DATABASE_URL") }
        let checker = service.sqlInvariants(invariants, on: db, interval: .milliseconds(500))
        service.addService(OrderOutcomes(db: db))
        service.router.get("/audit") { _, _ -> JSONValue in .object(checker.lastCounts.mapValues { .number(Double($0)) }) }
    }
}

/// `saga_orders{status="completed|cancelled"}`: the orders' outcomes, by SQL, every 500 ms.
struct OrderOutcomes: Service {
    let db: LabPostgres

    func run() async throws {
        let gauge = { @Sendable (status: String) in Gauge(label: "saga_orders", dimensions: [("status", status)]) }
        for status in ["completed", "cancelled"] { gauge(status).record(0) }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let rows = try? await db.query("SELECT status, count(*) FROM orders GROUP BY status") {
                    for row in rows { if let (status, count) = try? row.decode((String, Int).self) { gauge(status).record(count) } }
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
