import Foundation
import HTTPTypes
import LabKit
import Metrics
import NIOCore
import NIOHTTP1

/// KEY IDEA: a webhook sender owes every accepted event a delivery, to endpoints it does not control,
/// some of which are down for a while. Three things go wrong in the simple version. (1) The queue is
/// in memory: restart the sender and every event it had accepted but not yet delivered is gone, with
/// nobody told. (2) Retries on a fixed backoff keep hammering an endpoint that is down, and when it
/// comes back the whole backlog lands on it within one backoff interval: a recovery spike on a
/// service that has just restarted. (3) Nothing says "this endpoint is down": every event pays its
/// own failures. The fix: a durable outbox (the 202 means "a row in PostgreSQL"), a breaker per
/// endpoint that lets ONE probe through in half-open while the rest wait without spending attempts,
/// full-jitter backoff so the backlog returns as a ramp spread over the backoff cap, and a
/// dead-letter table for what is given up — so every accepted event ends up delivered or recorded.
/// Every attempt is signed (HMAC over the exact bytes, with a timestamp) so receivers can refuse
/// forgeries and replays.
///
///     POST /events  {"id", "endpoint", "payload"} → 202 once queued (400 with the reason otherwise)
///     POST /admin/forgeries → sends a tampered, a replayed and an unsigned webhook to each endpoint
enum WebhookSender {
    static let knobs = WebhookSettings.knobs
    /// The endpoints the sender knows, each reached through `<NAME>_URL`.
    static let endpoints = ["healthy", "flaky", "outage"]

    static func build(_ service: LabService) async throws {
        let settings = try WebhookSettings(service.knobs)
        let queue: any DeliveryQueue
        switch settings.queue {
        case .memory:
            queue = MemoryDeliveryQueue()
        case .outbox:
            guard let db = try service.postgres() else { throw LabStartupError("QUEUE=outbox needs DATABASE_URL") }
            queue = OutboxDeliveryQueue(db: db, lease: settings.lease)
        }
        var clients: [String: PeerClient] = [:]
        for name in endpoints { clients[name] = try service.context.peer(name, timeout: settings.timeout) }
        let peers = clients
        let signature = WebhookSignature(secret: settings.secret)
        let dispatcher = Dispatcher(
            settings: settings, queue: queue, endpoints: peers, signature: signature, logger: service.context.logger)
        service.addService(dispatcher)

        let accepted = Counter(label: "webhook_events_accepted_total")
        accepted.increment(by: 0)
        service.router.post("/events") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 256 * 1024)
            guard case .object(let fields)? = try? JSONValue.parse(body.readableBytesView),
                case .string(let id)? = fields["id"], !id.isEmpty, id.count <= 100,
                case .string(let endpoint)? = fields["endpoint"],
                case .string(let payload)? = fields["payload"]
            else {
                return .jsonError(#"expected {"id": string (1-100 chars), "endpoint": string, "payload": string}"#, status: .badRequest)
            }
            guard peers[endpoint] != nil else {
                return .jsonError("unknown endpoint '\(endpoint)'; known: \(endpoints.joined(separator: ", "))", status: .badRequest)
            }
            try await queue.enqueue(id: id, endpoint: endpoint, payload: payload)
            accepted.increment()
            return .json(["queued": .string(id)], status: .accepted)
        }

        for result in ["rejected", "accepted", "other"] {
            Counter(label: "webhook_forgeries_total", dimensions: [("result", result)]).increment(by: 0)
        }
        service.router.post("/admin/forgeries") { _, _ -> JSONValue in
            try await Forgeries.send(to: peers, signature: signature)
        }
    }
}

/// Three webhooks no receiver may accept, sent to every endpoint. `webhook_forgeries_total{result}`:
/// `rejected` (a 4xx, as it should be) or `accepted` (a 2xx: the receiver was fooled).
enum Forgeries {
    static func send(to peers: [String: PeerClient], signature: WebhookSignature) async throws -> JSONValue {
        let now = Int64(Date().timeIntervalSince1970)
        let original = Array(#"{"id":"forged","type":"order.paid","amount":100}"#.utf8)
        let tampered = Array(#"{"id":"forged","type":"order.paid","amount":999}"#.utf8)
        let cases: [(String, [UInt8], [(String, String)])] = [
            ("tampered_body", tampered, headers(id: "forged-1", at: now, signature.sign(id: "forged-1", timestamp: now, body: original))),
            (
                "replayed", original,
                headers(id: "forged-2", at: now - 900, signature.sign(id: "forged-2", timestamp: now - 900, body: original))
            ),
            ("unsigned", original, [(WebhookSignature.idHeader, "forged-3")]),
        ]
        var report: [String: JSONValue] = [:]
        for (name, peer) in peers.sorted(by: { $0.key < $1.key }) {
            var outcomes: [String: JSONValue] = [:]
            for (kind, body, fields) in cases {
                var httpHeaders = HTTPHeaders([("content-type", "application/json")])
                for (field, value) in fields { httpHeaders.add(name: field, value: value) }
                let status: Int
                do {
                    status = try await peer.post("/webhooks", route: "/webhooks", headers: httpHeaders, body: ByteBuffer(bytes: body))
                        .status
                } catch {
                    outcomes[kind] = .string("unreachable")
                    continue
                }
                let result = (400..<500).contains(status) ? "rejected" : (200..<300).contains(status) ? "accepted" : "other"
                Counter(label: "webhook_forgeries_total", dimensions: [("result", result)]).increment()
                outcomes[kind] = .string("\(status) \(result)")
            }
            report[name] = .object(outcomes)
        }
        return .object(report)
    }

    private static func headers(id: String, at timestamp: Int64, _ mac: String) -> [(String, String)] {
        [(WebhookSignature.idHeader, id), (WebhookSignature.timestampHeader, String(timestamp)), (WebhookSignature.signatureHeader, mac)]
    }
}
