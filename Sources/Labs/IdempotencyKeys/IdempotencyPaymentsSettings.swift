import LabKit

extension IdempotencyKeysLab {
    /// The payments service's knobs, from the environment (the lab's variants set them; the README lists them).
    struct PaymentsSettings {
        /// `IDEMPOTENCY=on`: honour the `Idempotency-Key` header; `off`: charge on every request.
        var idempotency: Bool
        /// How long the "card network" takes, drawn uniformly from this range for each charge.
        var cardNetwork: ClosedRange<Int>
        /// How long a lost response is held back: well past the client's timeout, so the client gives up.
        var lostResponseHold: Duration
        /// How often the duplicate-charge gauges are recomputed from SQL.
        var scanInterval: Duration

        init(_ context: LabContext) throws {
            let raw = (context.environment["IDEMPOTENCY"] ?? "off").lowercased()
            guard raw == "on" || raw == "off" else { throw LabStartupError("IDEMPOTENCY=\(raw): expected on or off") }
            idempotency = raw == "on"
            let low = try context.integer("CARD_MIN_MS", default: 20)
            let high = try context.integer("CARD_MAX_MS", default: 250)
            guard low <= high else { throw LabStartupError("CARD_MIN_MS=\(low) must not exceed CARD_MAX_MS=\(high)") }
            cardNetwork = low...high
            lostResponseHold = .milliseconds(try context.integer("LOST_RESPONSE_HOLD_MS", default: 2_000))
            scanInterval = .milliseconds(max(100, try context.integer("DUPLICATE_SCAN_MS", default: 500)))
        }
    }
}
