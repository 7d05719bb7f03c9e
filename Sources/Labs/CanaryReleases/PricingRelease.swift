import LabKit

/// The priced service, in two releases. v2 brought a discount table keyed by the id's last digit
/// that someone filled for 0-6 only: for ids ending in 7, 8 or 9 it answers 500. The lab's keys are
/// spread evenly, so 30 % of the requests v2 receives fail, every time.
enum PricingRelease {
    static let version = Knob.choice("VERSION", among: ["v1", "v2"], default: "v1", "the release this process runs")
    static let knobs: [any LabKnob] = [version]

    /// v2's discount per last digit, in percent.
    static let discounts: [Int: Double] = [0: 0, 1: 5, 2: 0, 3: 10, 4: 0, 5: 5, 6: 0]

    static func build(_ service: LabService) async throws {
        let version = try service.knobs.read(Self.version)
        service.router.get("/price/:id") { _, context -> Response in
            let id = Int(context.parameters.get("id") ?? "") ?? 0
            let base = Double(100 + (id * 37) % 900) / 10
            guard version == "v2" else {
                return .json(["id": .number(Double(id)), "price": .number(base), "version": .string(version)])
            }
            guard let discount = discounts[id % 10] else {
                return .jsonError("v2: no discount entry for last digit \(id % 10)", status: .internalServerError)
            }
            return .json(["id": .number(Double(id)), "price": .number(base * (1 - discount / 100)), "version": .string(version)])
        }
    }
}
