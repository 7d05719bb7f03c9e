import LabKit

extension RaceConditionsLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["shop": ShopService.knobs]
}
