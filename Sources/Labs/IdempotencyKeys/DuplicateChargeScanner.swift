import LabKit
import ServiceLifecycle

extension IdempotencyKeysLab {
    /// What SQL says about the ledger.
    struct LedgerStats: Sendable {
        var charges: Int
        /// Payment intents with more than one charge: customers charged twice (or more).
        var duplicatedIntents: Int
        /// Charges beyond the first for each intent: money taken that should not have been.
        var extraCharges: Int

        /// Not traced (the scanner runs it twice a second; its spans would bury the lesson's traces).
        static func read(_ db: LabPostgres, logger: Logger) async throws -> LedgerStats {
            let query: PostgresQuery = """
                SELECT (SELECT count(*) FROM charges),
                       count(*),
                       coalesce(sum(n - 1), 0)::bigint
                FROM (SELECT intent_id, count(*) AS n FROM charges GROUP BY intent_id HAVING count(*) > 1) AS duplicated
                """
            let rows = try await db.withConnection { try await $0.query(query, logger: logger).collect() }
            guard let row = rows.first else { return LedgerStats(charges: 0, duplicatedIntents: 0, extraCharges: 0) }
            let (charges, duplicated, extra) = try row.decode((Int64, Int64, Int64).self)
            return LedgerStats(charges: Int(charges), duplicatedIntents: Int(duplicated), extraCharges: Int(extra))
        }
    }

    /// Recomputes the duplicate-charge gauges from SQL every `interval`, so Prometheus (and the lab's
    /// expectations) read the database's own count: `duplicate_charges` (intents charged more than once),
    /// `duplicate_charges_extra` (charges beyond the first) and `charges_stored`.
    struct DuplicateChargeScanner: Service {
        let db: LabPostgres
        let interval: Duration
        let logger: Logger

        private static let duplicated = Gauge(label: "duplicate_charges")
        private static let extra = Gauge(label: "duplicate_charges_extra")
        private static let stored = Gauge(label: "charges_stored")

        func run() async throws {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        let stats = try await LedgerStats.read(db, logger: logger)
                        Self.duplicated.record(stats.duplicatedIntents)
                        Self.extra.record(stats.extraCharges)
                        Self.stored.record(stats.charges)
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.debug("duplicate scan failed (retrying): \(error)")
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }
}
