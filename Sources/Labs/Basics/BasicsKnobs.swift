import LabKit

extension BasicsLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["api": ProcessApi.knobs, "worker": Worker.knobs]
}
