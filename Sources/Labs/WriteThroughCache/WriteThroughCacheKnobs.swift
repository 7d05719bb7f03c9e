import LabKit

extension WriteThroughCacheLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["checker": [], "store": ItemStore.knobs]
}
