import LabKit
import Metrics
import ServiceLifecycle

/// The analytics consumer: takes click batches off the `clicks` queue and adds them to
/// `links.clicks`, many batches in ONE statement (one transaction, one WAL flush), each batch id
/// recorded in `click_batches` in the same transaction so a redelivered batch is not counted twice.
/// A delivery is acknowledged only after that commit: a crash before it redelivers, never loses.
///
/// It also keeps the books the lab is judged by, in both variants:
/// - `clicks_in_database`: every click PostgreSQL holds (`sum(links.clicks)`), read every LEDGER_EVERY_MS;
/// - `postgres_sessions_sampled_total{wait}`: what PostgreSQL's sessions are doing, sampled from
///   `pg_stat_activity` every 100 ms — `ClientRoundTrip` (idle in a transaction, waiting for the
///   client's next statement), `Lock:…` (a row lock held by another click's transaction),
///   `IO:WALSync` / `LWLock:WALWrite` (the commit's flush), `CPU` (running).
enum ClickAnalytics {
    static let prefetchKnob = Knob.wholeNumber(
        "PREFETCH", default: 200, in: 1...10_000,
        "click batches delivered and not yet acknowledged, at most (also how many one transaction takes)")
    static let ledgerEveryKnob = Knob.milliseconds(
        "LEDGER_EVERY_MS", default: 500, in: 50...60_000, "how often clicks_in_database is read from PostgreSQL")
    static let knobs: [any LabKnob] = [prefetchKnob, ledgerEveryKnob]

    static let aggregated = Counter(label: "clicks_aggregated_total")
    static let duplicateBatches = Counter(label: "click_batches_duplicate_total")
    static let transactions = Counter(label: "click_aggregate_transactions_total")

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("analytics needs DATABASE_URL") }
        guard let rabbit = try service.rabbitmq() else { throw LabStartupError("analytics needs RABBITMQ_URL") }
        try await rabbit.declare(RabbitMQTopology(queues: [.classic(ClickBatch.queue)]))
        let prefetch = try service.knobs.read(prefetchKnob)
        for counter in [aggregated, duplicateBatches, transactions] { counter.increment(by: 0) }
        let logger = service.context.logger

        let writer = Coalescer<ClickBatch>(maxBatch: prefetch) { batches in try await aggregate(batches, db: db) }
        service.addService(writer)
        service.addService(
            RabbitMQConsumingService(
                client: rabbit, queue: ClickBatch.queue, prefetch: prefetch, concurrency: prefetch, logger: service.context.logger
            ) { delivery in
                let batch: ClickBatch
                do { batch = try ClickBatch.decode(delivery.body) } catch {
                    logger.error("an unreadable click message (dropped): \(error)")
                    try await delivery.reject(requeue: false)
                    return
                }
                try await writer.submit(batch) // returns after the commit that counted it
                try await delivery.ack()
            })
        service.addService(ClickLedger(db: db, every: try service.knobs.read(ledgerEveryKnob), logger: service.context.logger))
    }

    /// Adds the batches not counted yet to `links.clicks`: one statement, so one transaction.
    static func aggregate(_ batches: [ClickBatch], db: LabPostgres) async throws {
        var seen = Set<String>()
        var ids: [String] = []
        var sizes: [Int] = []
        var rowBatch: [String] = []
        var rowCode: [String] = []
        var rowClicks: [Int] = []
        for batch in batches where seen.insert(batch.batch).inserted {
            ids.append(batch.batch)
            sizes.append(batch.codes.count)
            for (code, clicks) in batch.countsByCode {
                rowBatch.append(batch.batch)
                rowCode.append(code)
                rowClicks.append(clicks)
            }
        }
        let rows = try await db.query(
            """
            WITH fresh AS (
                INSERT INTO click_batches (id, clicks) SELECT * FROM unnest(\(ids)::text[], \(sizes)::int[])
                ON CONFLICT (id) DO NOTHING RETURNING id, clicks
            ), counts AS (
                SELECT e.code, sum(e.clicks)::bigint AS clicks
                FROM unnest(\(rowBatch)::text[], \(rowCode)::text[], \(rowClicks)::int[]) AS e(batch, code, clicks)
                JOIN fresh ON fresh.id = e.batch GROUP BY e.code
            ), added AS (
                UPDATE links SET clicks = links.clicks + counts.clicks FROM counts WHERE links.code = counts.code RETURNING 1
            )
            SELECT (SELECT count(*) FROM fresh)::int, (SELECT coalesce(sum(clicks), 0) FROM fresh)::bigint, (SELECT count(*) FROM added)::int
            """)
        guard let (fresh, clicks, _) = try rows.first?.decode((Int, Int, Int).self) else { return }
        transactions.increment()
        aggregated.increment(by: clicks)
        duplicateBatches.increment(by: batches.count - fresh)
    }
}

/// The ledger and the wait-event sampler (see `ClickAnalytics`).
struct ClickLedger: Service {
    let db: LabPostgres
    let every: Duration
    let logger: Logger

    static let waits = [
        "CPU", "ClientRoundTrip", "IO:WALSync", "IO:WALWrite", "LWLock:WALWrite", "Lock:transactionid", "Lock:tuple",
    ]

    func run() async throws {
        let inDatabase = Gauge(label: "clicks_in_database")
        let sampled = { @Sendable (wait: String) in Counter(label: "postgres_sessions_sampled_total", dimensions: [("wait", wait)]) }
        let samples = Counter(label: "postgres_activity_samples_total")
        for wait in Self.waits { sampled(wait).increment(by: 0) }
        samples.increment(by: 0)
        await cancelWhenGracefulShutdown {
            var nextLedger = ContinuousClock.now
            while !Task.isCancelled {
                do {
                    if ContinuousClock.now >= nextLedger {
                        let rows = try await db.query("SELECT coalesce(sum(clicks), 0)::bigint FROM links")
                        if let total = try rows.first?.decode(Int.self) { inDatabase.record(total) }
                        nextLedger = ContinuousClock.now + every
                    }
                    let rows = try await db.query(
                        """
                        SELECT CASE WHEN state = 'idle in transaction' THEN 'ClientRoundTrip'
                                    WHEN wait_event IS NULL THEN 'CPU'
                                    ELSE wait_event_type || ':' || wait_event END AS wait, count(*)::int
                        FROM pg_stat_activity
                        WHERE backend_type = 'client backend' AND state IN ('active', 'idle in transaction') AND pid <> pg_backend_pid()
                        GROUP BY 1
                        """)
                    samples.increment()
                    for row in rows {
                        let (wait, count) = try row.decode((String, Int).self)
                        sampled(wait).increment(by: count)
                    }
                } catch {
                    logger.warning("ledger: \(error)")
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
