import LabKit

extension FindingSlowServiceLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "gateway": [],
        "catalog": [FixedWorkService.workKnob(defaultMs: 10)],
        "pricing": [FixedWorkService.workKnob(defaultMs: 15)],
        "inventory": InventoryService.knobs,
        "reviews": [FixedWorkService.workKnob(defaultMs: 40)],
    ]
}
