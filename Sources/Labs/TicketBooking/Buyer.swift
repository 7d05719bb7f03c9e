import LabKit

/// One customer per request: hold a seat, take `PAY_DELAY_MS` to type in a card number, then pay —
/// or, with probability `ABANDON_RATE`, walk away and leave the hold to expire (the seat must then go
/// back on sale). Calls the booking service over HTTP, so a trace shows both steps.
///
///     POST /buy/{id} → 200 {booking, seat} | 202 abandoned | 409 sold out / seat taken | 410 expired
enum Buyer {
    static let payDelayKnob = Knob.milliseconds("PAY_DELAY_MS", default: 100, in: 0...60_000, "the time between the hold and the payment")
    static let abandonRateKnob = Knob.number(
        "ABANDON_RATE", default: 0.2, in: 0...1, "the share of buyers who walk away after the hold (it must expire)")
    static let knobs: [any LabKnob] = [payDelayKnob, abandonRateKnob]

    static func build(_ service: LabService) async throws {
        let booking = try service.context.peer("booking", timeout: .seconds(10))
        let payDelay = try service.knobs.read(payDelayKnob)
        let abandonRate = try service.knobs.read(abandonRateKnob)

        service.router.post("/buy/:id") { _, context -> Response in
            let customer = "customer-\(context.parameters.get("id") ?? "0")"
            let held = try await booking.post("/holds", route: "/holds", json: ["customer": .string(customer)])
            guard held.status == 201, let hold = held.json["hold"]?.intValue else {
                return .json(held.json, status: .init(code: held.status))
            }
            try await Task.sleep(for: payDelay)
            if Double.random(in: 0..<1) < abandonRate {
                return .json(["abandoned": true, "hold": .number(Double(hold))], status: .accepted)
            }
            let paid = try await booking.post("/bookings/\(hold)/pay", route: "/bookings/{hold}/pay", json: [:])
            return .json(paid.json, status: .init(code: paid.status))
        }
    }
}
