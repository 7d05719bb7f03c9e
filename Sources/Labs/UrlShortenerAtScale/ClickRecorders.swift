import Foundation
import LabKit
import Metrics
import PostgresNIO

/// How a redirect records its click before answering 302: the two designs the lab compares.
protocol ClickRecorder: Sendable {
    /// Returns once the click is durable somewhere (committed in PostgreSQL, or confirmed by the broker).
    func record(code: String, client: String) async throws
}

/// BEFORE: the click is a PostgreSQL transaction on the redirect path, the way an ORM writes it:
/// `BEGIN; INSERT INTO click_events …; UPDATE links SET clicks = clicks + 1 …; COMMIT` — four round
/// trips on a pooled connection, and the commit waits for the WAL to reach the disk
/// (`synchronous_commit = on`). The redirect waits for a free connection first. Both waits are
/// measured apart: `click_write_stage_seconds{stage="pool_wait"}` and `{stage="transaction"}`.
struct SyncClickWriter: ClickRecorder {
    let db: LabPostgres

    static let poolWait = Timer(label: "click_write_stage_seconds", dimensions: [("stage", "pool_wait")], preferredDisplayUnit: .seconds)
    static let transaction = Timer(
        label: "click_write_stage_seconds", dimensions: [("stage", "transaction")], preferredDisplayUnit: .seconds)

    func record(code: String, client: String) async throws {
        let asked = ContinuousClock.now
        let logger = db.logger
        try await withSpan("click.write", ofKind: .client) { span in
            span.attributes["db.system.name"] = "postgresql"
            try await db.withConnection { connection in
                let leased = ContinuousClock.now
                Self.poolWait.recordInterval(since: asked)
                span.attributes["click.pool_wait_ms"] = Double((leased - asked) / .microseconds(1)) / 1000
                _ = try await connection.query("BEGIN", logger: logger).collect()
                do {
                    _ = try await connection.query(
                        "INSERT INTO click_events (code, client) VALUES (\(code), \(client))", logger: logger
                    ).collect()
                    _ = try await connection.query("UPDATE links SET clicks = clicks + 1 WHERE code = \(code)", logger: logger).collect()
                    _ = try await connection.query("COMMIT", logger: logger).collect()
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger).collect()
                    throw error
                }
                Self.transaction.recordInterval(since: leased)
            }
        }
    }
}

/// AFTER: the click is a message. Redirects that arrive together share ONE publish (a `ClickBatch`)
/// and ONE publisher confirm; each redirect answers 302 only after the broker confirmed its batch, so
/// an acknowledged click is a click the broker holds (persistent, on a durable queue). PostgreSQL is
/// no longer on the redirect path: the analytics consumer writes the clicks later, in batches.
final class BrokerClickPublisher: ClickRecorder {
    let rabbit: RabbitMQClient
    let batcher: Coalescer<String>

    static let batches = Counter(label: "click_batches_published_total")
    static let published = Counter(label: "clicks_published_total")

    init(rabbit: RabbitMQClient, maxBatch: Int) {
        self.rabbit = rabbit
        self.batcher = Coalescer(maxBatch: maxBatch) { codes in
            let batch = ClickBatch(batch: UUID().uuidString.lowercased(), codes: codes)
            let outcome = try await rabbit.publish(
                RabbitMQMessage(body: try batch.encoded(), messageID: batch.batch), routingKey: ClickBatch.queue)
            guard outcome == .confirmed else { throw ClickNotTaken(outcome: outcome) }
            Self.batches.increment()
            Self.published.increment(by: codes.count)
        }
        Self.batches.increment(by: 0)
        Self.published.increment(by: 0)
    }

    func record(code: String, client: String) async throws {
        try await batcher.submit(code)
    }

    struct ClickNotTaken: Error, CustomStringConvertible {
        let outcome: RabbitMQPublishOutcome
        var description: String { "the broker did not confirm the click batch: \(outcome)" }
    }
}
