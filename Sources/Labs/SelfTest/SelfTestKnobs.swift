import LabKit

extension SelfTestLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start: the backend's PostgreSQL
    /// and Redis clients'.
    static let knobs: [String: [any LabKnob]] = ["frontend": [], "backend": LabPostgres.knobs + LabService.redisKnobs]
}
