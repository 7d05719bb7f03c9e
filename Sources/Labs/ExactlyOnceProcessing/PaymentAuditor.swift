import Foundation
import LabKit
import ServiceLifecycle
import Synchronization

extension ExactlyOnceProcessingLab {
    /// The checker. It trusts nobody's counters: it reads the whole history from PostgreSQL — every
    /// payment the producer accepted (its `payments` table; after, with its outbox row) against every
    /// effect the consumer committed (`ledger`) — every 250 ms, in one statement (one snapshot):
    ///
    /// - `duplicated`: payments with more than one effect; `extra_effects`: effects beyond the first;
    /// - `unapplied`: accepted payments with no effect. Once the run has drained, these are LOST;
    /// - `balance_error_cents`: the accounts' total minus what was paid in (> 0: credited twice,
    ///   < 0: never credited);
    /// - `crashes` (the injected ones, as the workers logged them), `outbox_pending` (committed, not yet
    ///   confirmed by the broker), `inbox_rows`, `worker_starts`.
    ///
    /// `payment_audit_drained` is 1 once nothing is left to deliver: no outbox row pending, no ready
    /// message in the queue, a worker consuming, and no new payment, effect or inbox row for 0.5 s.
    /// (Redeliveries are the broker's own count: `rabbitmq_global_messages_redelivered_total`.)
    /// Gauges: `payment_audit{count="…"}`. `GET /audit`: the counts, and a few example ids.
    enum PaymentAuditor {
        static let knobs: [any LabKnob] = LabPostgres.knobs + LabService.rabbitMQKnobs

        static func build(_ service: LabService) async throws {
            guard let db = try service.postgres() else { throw LabStartupError("auditor needs DATABASE_URL") }
            guard let rabbit = try service.rabbitmq() else { throw LabStartupError("auditor needs RABBITMQ_URL") }
            try await rabbit.declare(PaymentQueue.topology)
            let audit = PaymentAudit(db: db, rabbit: rabbit, logger: service.context.logger)
            service.addService(audit)

            service.router.get("/audit") { _, _ -> JSONValue in
                var body = audit.last.mapValues { JSONValue.number(Double($0)) }
                body["drained"] = .bool(audit.isDrained)
                let duplicated = try await db.query(
                    "SELECT payment_id, count(*) FROM ledger GROUP BY payment_id HAVING count(*) > 1 ORDER BY payment_id LIMIT 5")
                var examples: [JSONValue] = []
                for row in duplicated {
                    let (id, effects) = try row.decode((Int, Int).self)
                    examples.append(["payment_id": .number(Double(id)), "effects": .number(Double(effects))])
                }
                body["duplicated_examples"] = .array(examples)
                let unapplied = try await db.query(
                    """
                    SELECT p.id FROM payments p WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.payment_id = p.id)
                    ORDER BY p.id LIMIT 5
                    """)
                var ids: [JSONValue] = []
                for row in unapplied { ids.append(.number(Double(try row.decode(Int.self)))) }
                body["unapplied_examples"] = .array(ids)
                return .object(body)
            }
        }
    }

    final class PaymentAudit: Service, Sendable {
        static let counts = [
            "published", "effects", "applied", "duplicated", "extra_effects", "unapplied", "unknown_effects",
            "balance_error_cents", "crashes", "outbox_pending", "inbox_rows", "worker_starts",
        ]
        static let sql: PostgresQuery = """
            SELECT
              (SELECT count(*) FROM payments) AS published,
              (SELECT count(*) FROM ledger) AS effects,
              (SELECT count(DISTINCT payment_id) FROM ledger) AS applied,
              (SELECT count(*) FROM (SELECT 1 FROM ledger GROUP BY payment_id HAVING count(*) > 1) AS d) AS duplicated,
              (SELECT count(*) FROM ledger) - (SELECT count(DISTINCT payment_id) FROM ledger) AS extra_effects,
              (SELECT count(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.payment_id = p.id)) AS unapplied,
              (SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = l.payment_id)) AS unknown_effects,
              ((SELECT coalesce(sum(balance_cents), 0) FROM accounts)
                 - (SELECT coalesce(sum(amount_cents), 0) FROM payments))::bigint AS balance_error_cents,
              (SELECT count(*) FROM crashes) AS crashes,
              (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS outbox_pending,
              (SELECT count(*) FROM inbox) AS inbox_rows,
              (SELECT count(*) FROM worker_starts) AS worker_starts
            """
        /// How long nothing may move before the run counts as drained.
        static let quiet: Duration = .milliseconds(500)

        let db: LabPostgres
        let rabbit: RabbitMQClient
        let logger: Logger
        private let state = Mutex(State())
        private struct State {
            var last: [String: Int] = [:]
            var drained = false
            var movement: [Int]?
            var stillSince = ContinuousClock.now
        }
        private let gauges: [String: Gauge]
        private let drainedGauge = Gauge(label: "payment_audit_drained")

        init(db: LabPostgres, rabbit: RabbitMQClient, logger: Logger) {
            self.db = db
            self.rabbit = rabbit
            self.logger = logger
            gauges = Dictionary(uniqueKeysWithValues: Self.counts.map { ($0, Gauge(label: "payment_audit", dimensions: [("count", $0)])) })
            drainedGauge.record(0)
        }

        var last: [String: Int] { state.withLock { $0.last } }
        var isDrained: Bool { state.withLock { $0.drained } }

        func run() async throws {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        try await self.auditOnce()
                    } catch {
                        self.logger.warning("audit failed (trying again): \(error)")
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }

        func auditOnce() async throws {
            let queue = try await rabbit.queueDepth(PaymentQueue.name)
            let rows = try await db.query(Self.sql)
            guard let row = rows.first?.makeRandomAccess() else { return }
            var counts: [String: Int] = [:]
            for name in Self.counts { counts[name] = try row[name].decode(Int.self) }
            let now = ContinuousClock.now
            let drained = state.withLock { state in
                let movement = ["published", "effects", "inbox_rows"].map { counts[$0] ?? 0 }
                if state.movement.map({ $0 != movement }) ?? true {
                    state.movement = movement
                    state.stillSince = now
                }
                state.last = counts
                state.drained =
                    counts["outbox_pending"] == 0 && queue.messages == 0 && queue.consumers > 0 && now - state.stillSince >= Self.quiet
                return state.drained
            }
            for (name, count) in counts { gauges[name]?.record(count) }
            drainedGauge.record(drained ? 1 : 0)
        }
    }
}
