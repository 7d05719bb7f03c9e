import Foundation
import LabKit
import Metrics
import Synchronization

/// The expensive computation behind the hot key: a revenue report from PostgreSQL. `pg_sleep` stands for
/// the seconds a real report spends scanning and joining; the aggregate is real. Every run is counted
/// in `recompute_total` — the number a thundering herd multiplies — and `recompute_in_flight`.
struct HotReportQuery: Sendable {
    let db: LabPostgres
    let costSeconds: Double

    private static let recomputes = Counter(label: "recompute_total")
    private static let inFlightGauge = Gauge(label: "recompute_in_flight")
    private static let inFlight = Mutex(0)

    init(db: LabPostgres, costSeconds: Double) {
        self.db = db
        self.costSeconds = costSeconds
        Self.recomputes.increment(by: 0)
        Self.inFlightGauge.record(0)
    }

    /// Orders and revenue of one region (`id % 20`), computed now by `computedBy`.
    func compute(_ id: Int, computedBy: String) async throws -> JSONValue {
        Self.recomputes.increment()
        Self.inFlightGauge.record(
            Self.inFlight.withLock {
                $0 += 1
                return $0
            })
        defer {
            Self.inFlightGauge.record(
                Self.inFlight.withLock {
                    $0 -= 1
                    return $0
                })
        }
        let rows = try await db.query(
            """
            WITH slow AS MATERIALIZED (SELECT pg_sleep(\(costSeconds)))
            SELECT count(*)::int8, coalesce(sum(amount), 0)::float8 FROM orders, slow WHERE region = \(id % 20)
            """)
        let (orders, revenue) = try rows.first?.decode((Int, Double).self) ?? (0, 0)
        return [
            "id": .number(Double(id)), "orders": .number(Double(orders)), "revenue": .number(revenue),
            "computed_by": .string(computedBy), "computed_at": .number((Date().timeIntervalSince1970 * 1000).rounded()),
        ]
    }
}
