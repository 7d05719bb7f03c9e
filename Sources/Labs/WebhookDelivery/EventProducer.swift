import Foundation
import LabKit
import Metrics
import Synchronization

/// The application that emits events, and the lab's ledger.
///
///     POST /events/{key} → a new event (a fresh id, the next endpoint in turn) handed to the sender;
///                          202 and a row in `produced` only if the sender answered 202
///
/// The ledger's audit, by SQL every 500 ms over what was committed (`invariant_violations{invariant=…}`):
/// - `unaccounted_events`: accepted by the sender, and now nowhere: not received by any receiver,
///   not in `dead_letters`, not in `outbox`. At the end of the drain (every receiver up for a while,
///   nothing left in the sender's queue) these are the events the sender LOST.
/// - `duplicate_deliveries`: deliveries of an event beyond its first (at-least-once shows here).
/// - `dead_lettered`: events the outbox gave up on (after MAX_ATTEMPTS, or refused by the receiver).
/// - `in_outbox`: rows still waiting in the outbox.
enum EventProducer {
    static let knobs: [any LabKnob] = LabPostgres.knobs

    static let invariants = [
        SQLInvariant(
            "unaccounted_events",
            """
            SELECT count(*) FROM produced p
            WHERE NOT EXISTS (SELECT 1 FROM received r WHERE r.event_id = p.event_id)
              AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.event_id = p.event_id)
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = p.event_id)
            """),
        SQLInvariant("duplicate_deliveries", "SELECT coalesce(sum(deliveries - 1), 0) FROM received"),
        SQLInvariant("dead_lettered", "SELECT count(*) FROM dead_letters"),
        SQLInvariant("in_outbox", "SELECT count(*) FROM outbox"),
    ]

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the producer needs DATABASE_URL (the ledger)") }
        let sender = try service.context.peer("sender", timeout: .seconds(2))
        _ = service.sqlInvariants(invariants, on: db, interval: .milliseconds(500))
        let produced = Counter(label: "events_produced_total", dimensions: [("result", "accepted")])
        let refused = Counter(label: "events_produced_total", dimensions: [("result", "not_accepted")])
        produced.increment(by: 0)
        refused.increment(by: 0)
        let next = Atomic<Int>(0)

        service.router.post("/events/:key") { _, context -> Response in
            let key = context.parameters.get("key") ?? "0"
            let id = UUID().uuidString.lowercased()
            let endpoint = WebhookSender.endpoints[next.add(1, ordering: .relaxed).newValue % WebhookSender.endpoints.count]
            let payload = JSONValue.object([
                "id": .string(id), "type": .string("order.paid"), "order": .string(key),
                "at": .number((Date().timeIntervalSince1970 * 1000).rounded()),
            ]).encodedString()
            let status: Int
            do {
                status = try await sender.post(
                    "/events", route: "/events", json: ["id": .string(id), "endpoint": .string(endpoint), "payload": .string(payload)]
                ).status
            } catch {
                refused.increment()
                return .jsonError("the sender did not take the event: \(error)", status: .serviceUnavailable)
            }
            guard status == 202 else {
                refused.increment()
                return .jsonError("the sender answered \(status)", status: .serviceUnavailable)
            }
            try await db.query("INSERT INTO produced (event_id, endpoint) VALUES (\(id), \(endpoint))")
            produced.increment()
            return .json(["event": .string(id), "endpoint": .string(endpoint)], status: .accepted)
        }
    }
}
