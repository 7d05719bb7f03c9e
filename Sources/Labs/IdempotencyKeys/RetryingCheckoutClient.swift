import Foundation
import LabKit
import NIOHTTP1

extension IdempotencyKeysLab {
    /// The shop's checkout: one payment intent per checkout, charged through `payments` with the intent id
    /// as the `Idempotency-Key`. It does what every careful client does with a flaky network: it retries a
    /// charge that timed out or failed with a 5xx (LabKit `Retrier`, backoff with full jitter), and when an
    /// answer is slow it sends a hedged duplicate without waiting for the first (LabKit `Hedger`). Both are
    /// safe ONLY if the server honours the key; the client cannot know whether a timed-out charge happened.
    enum CheckoutClient {
        static let timeoutKnob = Knob.milliseconds(
            "PAYMENTS_TIMEOUT_MS", default: 400, in: 1...600_000, "how long one charge call waits for payments' answer")
        static let attemptsKnob = Knob.wholeNumber(
            "CHARGE_ATTEMPTS", default: 3, in: 1...100, "attempts per checkout (retries on timeouts and 5xx, jittered backoff)")
        static let hedgeDelayKnob = Knob.milliseconds(
            "HEDGE_DELAY_MS", default: 200, in: 1...600_000, "an attempt still unanswered after this gets a concurrent duplicate (a hedge)")
        static let knobs: [any LabKnob] = [timeoutKnob, attemptsKnob, hedgeDelayKnob]

        static func build(_ service: LabService) async throws {
            let knobs = service.knobs
            let payments = try service.context.peer("payments", timeout: try knobs.read(timeoutKnob))
            let retrier = Retrier(
                name: "payments",
                policy: RetryPolicy(
                    maxAttempts: try knobs.read(attemptsKnob),
                    backoff: Backoff(base: .milliseconds(50), multiplier: 2, cap: .milliseconds(400), jitter: .full),
                    isRetryable: { $0 is PeerError || $0 is ChargeFailed }))
            let hedger = Hedger(
                name: "payments",
                policy: HedgingPolicy(
                    hedgeDelay: try knobs.read(hedgeDelayKnob), maxAttempts: 2,
                    isRetryable: { $0 is PeerError || $0 is ChargeFailed }))

            service.router.post("/checkout/:cart") { _, context -> Response in
                let cart = context.parameters.get("cart") ?? "0"
                let intent = "pi_" + UUID().uuidString.lowercased() // one intent = one purchase = one key
                let amount = 500 + abs(cart.hashValue % 9_500)
                context.span?.attributes["payment.intent"] = intent
                let charge: JSONValue = ["intent": .string(intent), "amount_cents": .number(Double(amount))]
                let headers: HTTPHeaders = ["content-type": "application/json", "idempotency-key": intent]
                do {
                    let reply = try await retrier.execute { _ in
                        try await hedger.execute { _ in
                            let reply = try await payments.post(
                                "/charges", route: "/charges", headers: headers, body: ByteBuffer(string: charge.encodedString()))
                            guard reply.status < 500 else { throw ChargeFailed(status: reply.status) }
                            return reply
                        }
                    }
                    guard reply.isSuccess else {
                        return .jsonError("payments answered \(reply.status): \(reply.text)", status: .badGateway)
                    }
                    return .json([
                        "cart": .string(cart), "intent": .string(intent), "charge": reply.json,
                        "replayed": .bool(reply.headers.first(name: "idempotent-replayed") == "true"),
                    ])
                } catch {
                    return .jsonError("charge for \(intent) failed: \(error)", status: .badGateway)
                }
            }
        }
    }

    struct ChargeFailed: Error, CustomStringConvertible {
        let status: Int
        var description: String { "payments answered \(status)" }
    }
}
