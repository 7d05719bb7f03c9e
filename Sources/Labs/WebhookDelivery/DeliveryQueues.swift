import Foundation
import LabKit
import PostgresNIO

/// One event on its way to one endpoint.
struct PendingDelivery: Sendable {
    let id: String
    let endpoint: String
    /// The exact bytes to send (and sign), as the producer handed them over.
    let payload: String
    /// Real attempts so far (a call an open breaker refused is not one).
    let attempts: Int
}

/// Where pending deliveries wait between attempts.
protocol DeliveryQueue: Sendable {
    func enqueue(id: String, endpoint: String, payload: String) async throws
    /// Up to `limit` deliveries that are due, each taken so that it is not handed out twice.
    func claimDue(limit: Int) async throws -> [PendingDelivery]
    func delivered(_ delivery: PendingDelivery) async throws
    /// Due again after `delay`; `attempted`: the delivery was really tried (and failed).
    func retry(_ delivery: PendingDelivery, after delay: Duration, attempted: Bool, error: String) async throws
    /// No more attempts: the outbox moves it to `dead_letters`, the memory queue drops it.
    func giveUp(_ delivery: PendingDelivery, reason: String) async throws
    /// Deliveries waiting (due or not, claimed or not), by endpoint.
    func pendingByEndpoint() async throws -> [String: Int]
}

/// BEFORE: a dictionary in the sender's memory. Fast, and gone when the process is.
actor MemoryDeliveryQueue: DeliveryQueue {
    private struct Entry {
        var delivery: PendingDelivery
        var due: ContinuousClock.Instant
        var claimed = false
    }

    private var entries: [String: Entry] = [:]

    func enqueue(id: String, endpoint: String, payload: String) {
        guard entries[id] == nil else { return }
        entries[id] = Entry(delivery: PendingDelivery(id: id, endpoint: endpoint, payload: payload, attempts: 0), due: .now)
    }

    func claimDue(limit: Int) -> [PendingDelivery] {
        let now = ContinuousClock.now
        let due = entries.values.filter { !$0.claimed && $0.due <= now }.sorted { $0.due < $1.due }.prefix(limit)
        for entry in due { entries[entry.delivery.id]?.claimed = true }
        return due.map(\.delivery)
    }

    func delivered(_ delivery: PendingDelivery) { entries[delivery.id] = nil }

    func retry(_ delivery: PendingDelivery, after delay: Duration, attempted: Bool, error: String) {
        let attempts = delivery.attempts + (attempted ? 1 : 0)
        entries[delivery.id] = Entry(
            delivery: PendingDelivery(id: delivery.id, endpoint: delivery.endpoint, payload: delivery.payload, attempts: attempts),
            due: .now + delay)
    }

    func giveUp(_ delivery: PendingDelivery, reason: String) { entries[delivery.id] = nil }

    func pendingByEndpoint() -> [String: Int] {
        entries.values.reduce(into: [:]) { counts, entry in counts[entry.delivery.endpoint, default: 0] += 1 }
    }
}

/// AFTER: the transactional outbox. An accepted event is a row before the producer hears "202"; a
/// claim pushes the row's due time out by a lease (if the sender dies mid-delivery, the row is due
/// again when the lease runs out); a delivered row is deleted; a given-up row moves to
/// `dead_letters` in the same statement. A restarted sender simply carries on from the table.
struct OutboxDeliveryQueue: DeliveryQueue {
    let db: LabPostgres
    let lease: Duration

    func enqueue(id: String, endpoint: String, payload: String) async throws {
        try await db.query(
            "INSERT INTO outbox (event_id, endpoint, payload) VALUES (\(id), \(endpoint), \(payload)) ON CONFLICT (event_id) DO NOTHING")
    }

    func claimDue(limit: Int) async throws -> [PendingDelivery] {
        let rows = try await db.query(
            """
            UPDATE outbox SET next_attempt_at = now() + make_interval(secs => \(lease.inSeconds))
            WHERE event_id IN (
                SELECT event_id FROM outbox WHERE next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING event_id, endpoint, payload, attempts
            """)
        return try rows.map { row in
            let (id, endpoint, payload, attempts) = try row.decode((String, String, String, Int).self)
            return PendingDelivery(id: id, endpoint: endpoint, payload: payload, attempts: attempts)
        }
    }

    func delivered(_ delivery: PendingDelivery) async throws {
        try await db.query("DELETE FROM outbox WHERE event_id = \(delivery.id)")
    }

    func retry(_ delivery: PendingDelivery, after delay: Duration, attempted: Bool, error: String) async throws {
        try await db.query(
            """
            UPDATE outbox SET attempts = attempts + \(attempted ? 1 : 0), last_error = \(error),
                              next_attempt_at = now() + make_interval(secs => \(delay.inSeconds))
            WHERE event_id = \(delivery.id)
            """)
    }

    func giveUp(_ delivery: PendingDelivery, reason: String) async throws {
        try await db.query(
            """
            WITH moved AS (DELETE FROM outbox WHERE event_id = \(delivery.id) RETURNING event_id, endpoint, payload, attempts)
            INSERT INTO dead_letters (event_id, endpoint, payload, attempts, reason)
            SELECT event_id, endpoint, payload, attempts, \(reason) FROM moved
            ON CONFLICT (event_id) DO NOTHING
            """)
    }

    func pendingByEndpoint() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await db.query("SELECT endpoint, count(*)::int FROM outbox GROUP BY endpoint") {
            let (endpoint, count) = try row.decode((String, Int).self)
            counts[endpoint] = count
        }
        return counts
    }
}
