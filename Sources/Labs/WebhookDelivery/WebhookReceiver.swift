import Foundation
import HTTPTypes
import LabKit
import Metrics
import Synchronization

/// A customer's webhook endpoint: `POST /webhooks`. It checks the signature and the timestamp before
/// anything else (400/401 with the reason), then may fail on purpose (`FAILURE_RATE`: a flaky
/// endpoint answers 503), then records the event in the lab's ledger (`received`, one row per event
/// id, `deliveries` counts repeats) and answers 200.
///
/// `webhook_receiver_requests_total{result}`: accepted, duplicate, injected_failure, bad_signature,
/// stale_timestamp, malformed. `webhook_receiver_peak_per_second`: the most deliveries accepted
/// within any one second since this process started (a sliding window, not scrape-aligned) — for the
/// receiver that comes back after an outage, the recovery spike it had to take.
enum WebhookReceiver {
    static let failureRateKnob = Knob.number(
        "FAILURE_RATE", default: 0, in: 0...1, "share of valid deliveries answered 503 on purpose (a flaky endpoint)")
    static let toleranceKnob = Knob.milliseconds(
        "TIMESTAMP_TOLERANCE_MS", default: 300_000, in: 1_000...3_600_000,
        "how old (or how far ahead) a webhook-timestamp may be; older is refused as a replay")
    static let knobs: [any LabKnob] = [WebhookSettings.secretKnob, failureRateKnob, toleranceKnob] + LabPostgres.knobs

    static let results = ["accepted", "duplicate", "injected_failure", "bad_signature", "stale_timestamp", "malformed"]

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("a receiver needs DATABASE_URL (the lab's ledger)") }
        let signature = WebhookSignature(secret: try service.knobs.read(WebhookSettings.secretKnob))
        let failureRate = try service.knobs.read(failureRateKnob)
        let tolerance = Int64(try service.knobs.read(toleranceKnob) / .seconds(1))
        let name = service.context.serviceName
        var counters: [String: Counter] = [:]
        for result in results {
            counters[result] = Counter(label: "webhook_receiver_requests_total", dimensions: [("result", result)])
            counters[result]?.increment(by: 0)
        }
        let count = counters
        let peak = PeakPerSecond()

        service.router.post("/webhooks") { request, _ -> Response in
            let body = Array(buffer: try await request.body.collect(upTo: 256 * 1024))
            func header(_ name: String) -> String? { request.headers[HTTPField.Name(name)!] }
            let id = header(WebhookSignature.idHeader)
            let verdict = signature.verify(
                id: id, timestamp: header(WebhookSignature.timestampHeader), signature: header(WebhookSignature.signatureHeader),
                body: body, now: Int64(Date().timeIntervalSince1970), toleranceSeconds: tolerance)
            switch verdict {
            case .malformed(let reason):
                count["malformed"]?.increment()
                return .jsonError(reason, status: .badRequest)
            case .stale(let age):
                count["stale_timestamp"]?.increment()
                return .jsonError("stale webhook-timestamp: \(age) s old, tolerance \(tolerance) s (a replay?)", status: .unauthorized)
            case .badSignature:
                count["bad_signature"]?.increment()
                return .jsonError("webhook-signature does not match the body", status: .unauthorized)
            case .valid:
                break
            }
            if failureRate > 0, Double.random(in: 0..<1) < failureRate {
                count["injected_failure"]?.increment()
                return .jsonError("injected failure (FAILURE_RATE=\(failureRate))", status: .serviceUnavailable)
            }
            let deliveries =
                try await db.query(
                    """
                    INSERT INTO received (event_id, receiver) VALUES (\(id ?? ""), \(name))
                    ON CONFLICT (event_id) DO UPDATE SET deliveries = received.deliveries + 1
                    RETURNING deliveries
                    """
                ).first?.decode(Int.self) ?? 1
            count[deliveries == 1 ? "accepted" : "duplicate"]?.increment()
            peak.record()
            return .json(["received": .string(id ?? ""), "deliveries": .number(Double(deliveries))])
        }
    }
}

/// The largest number of events recorded within any one second (sliding), as a gauge.
final class PeakPerSecond: Sendable {
    private let state = Mutex<(recent: [ContinuousClock.Instant], peak: Int)>(([], 0))
    private let gauge = Gauge(label: "webhook_receiver_peak_per_second")

    init() { gauge.record(0) }

    func record() {
        let now = ContinuousClock.now
        let peak = state.withLock { state -> Int in
            state.recent.append(now)
            let cutoff = now - .seconds(1)
            if let firstInside = state.recent.firstIndex(where: { $0 > cutoff }), firstInside > 0 {
                state.recent.removeFirst(firstInside)
            }
            state.peak = max(state.peak, state.recent.count)
            return state.peak
        }
        gauge.record(peak)
    }
}
