import LabKit

extension IdempotencyKeysLab {
    /// The payments service's knobs (the lab's variants set them; `labsvc knobs week13` and the README list them).
    struct PaymentsSettings {
        /// `IDEMPOTENCY=on`: honour the `Idempotency-Key` header; `off`: charge on every request.
        var idempotency: Bool
        /// How long the "card network" takes, drawn uniformly from this range for each charge.
        var cardNetwork: ClosedRange<Int>
        /// How long a lost response is held back: well past the client's timeout, so the client gives up.
        var lostResponseHold: Duration
        /// How often the duplicate-charge gauges are recomputed from SQL.
        var scanInterval: Duration

        static let idempotencyKnob = Knob.flag(
            "IDEMPOTENCY", default: false,
            "honour the Idempotency-Key header (store it with the charge, replay the answer); off: charge on every request")
        static let cardMinKnob = Knob.milliseconds(
            "CARD_MIN_MS", default: 20, in: 0...60_000, "the card network takes at least this long per charge (uniform up to CARD_MAX_MS)")
        static let cardMaxKnob = Knob.milliseconds(
            "CARD_MAX_MS", default: 250, in: 0...60_000, "the card network takes at most this long per charge (not less than CARD_MIN_MS)")
        static let lostResponseHoldKnob = Knob.milliseconds(
            "LOST_RESPONSE_HOLD_MS", default: 2_000, in: 0...600_000,
            "how long a lost response (`lose_response_rate` in PUT /admin/config) is held back: past the client's timeout")
        static let scanIntervalKnob = Knob.milliseconds(
            "DUPLICATE_SCAN_MS", default: 500, in: 100...600_000, "how often the duplicate-charge gauges are recomputed from SQL")

        static let knobs: [any LabKnob] = [idempotencyKnob, cardMinKnob, cardMaxKnob, lostResponseHoldKnob, scanIntervalKnob]

        init(_ knobs: KnobReader) throws {
            idempotency = try knobs.read(Self.idempotencyKnob)
            let low = Int(try knobs.read(Self.cardMinKnob) / .milliseconds(1))
            let high = Int(try knobs.read(Self.cardMaxKnob) / .milliseconds(1))
            guard low <= high else { throw LabStartupError("CARD_MIN_MS=\(low) must not exceed CARD_MAX_MS=\(high)") }
            cardNetwork = low...high
            lostResponseHold = try knobs.read(Self.lostResponseHoldKnob)
            scanInterval = try knobs.read(Self.scanIntervalKnob)
        }
    }

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "client": CheckoutClient.knobs,
        "payments": PaymentsSettings.knobs + LabPostgres.knobs,
    ]
}
