import LabKit

/// The page's knobs.
struct PageSettings {
    var degradation: Bool
    var dependencyTimeout: Duration
    var recommendationsTimeout: Duration
    var pricingTimeout: Duration
    var inventoryTimeout: Duration
    var priceMaxStale: Duration

    static let degradationKnob = Knob.flag(
        "DEGRADATION", default: false,
        "per-dependency timeouts and fallbacks; off: the page needs every dependency within DEPENDENCY_TIMEOUT_MS")
    static let dependencyTimeoutKnob = Knob.milliseconds(
        "DEPENDENCY_TIMEOUT_MS", default: 2_000, in: 1...600_000, "DEGRADATION=off: the one timeout of every dependency call")
    static let recommendationsTimeoutKnob = Knob.milliseconds(
        "RECOMMENDATIONS_TIMEOUT_MS", default: 150, in: 1...600_000,
        "DEGRADATION=on: recommendations may take this long, then the block is left empty")
    static let pricingTimeoutKnob = Knob.milliseconds(
        "PRICING_TIMEOUT_MS", default: 200, in: 1...600_000,
        "DEGRADATION=on: pricing may take this long, then the last known price is shown")
    static let inventoryTimeoutKnob = Knob.milliseconds(
        "INVENTORY_TIMEOUT_MS", default: 300, in: 1...600_000,
        "DEGRADATION=on: inventory may take this long (it is required: then the page fails)")
    static let priceMaxStaleKnob = Knob.milliseconds(
        "PRICE_MAX_STALE_MS", default: 600_000, in: 0...86_400_000,
        "DEGRADATION=on: a remembered price this old may still be shown while pricing fails")

    static let knobs: [any LabKnob] = [
        degradationKnob, dependencyTimeoutKnob, recommendationsTimeoutKnob, pricingTimeoutKnob, inventoryTimeoutKnob, priceMaxStaleKnob,
    ]

    init(_ knobs: KnobReader) throws {
        degradation = try knobs.read(Self.degradationKnob)
        dependencyTimeout = try knobs.read(Self.dependencyTimeoutKnob)
        recommendationsTimeout = try knobs.read(Self.recommendationsTimeoutKnob)
        pricingTimeout = try knobs.read(Self.pricingTimeoutKnob)
        inventoryTimeout = try knobs.read(Self.inventoryTimeoutKnob)
        priceMaxStale = try knobs.read(Self.priceMaxStaleKnob)
    }

    /// The timeout of a call to `dependency`.
    func timeout(for dependency: String) -> Duration {
        guard degradation else { return dependencyTimeout }
        switch dependency {
        case "recommendations": return recommendationsTimeout
        case "pricing": return pricingTimeout
        default: return inventoryTimeout
        }
    }
}
