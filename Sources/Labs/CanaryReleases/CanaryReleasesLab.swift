import LabKit

/// Week 19: canary releases.
///
///     load → lb (HAProxy) → v1 ×2 (the running release)
///                         → v2    (the new release: fails for ids ending in 7, 8 or 9: 30 % of requests)
///     controller POST /release → weights through HAProxy's Runtime API (LB_RUNTIME_API),
///                                 v2's answers read back from its per-server counters
///
/// `STRATEGY=big-bang` moves all traffic to v2 at once; `STRATEGY=canary` gives v2 a small share,
/// watches its error rate against the SLO (a burn rate, decided only on a minimum sample) and rolls
/// back, or promotes step by step while it stays healthy.
enum CanaryReleasesLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("v1", "GET /price/{id}: the running release", build: PricingRelease.build),
        .init("v2", "GET /price/{id}: the new release, with a bug for ids ending in 7-9", build: PricingRelease.build),
        .init(
            "controller", "POST /release: rolls v2 out through the balancer (STRATEGY=big-bang|canary); GET /release: its state",
            build: ReleaseControllerService.build),
    ]

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "v1": PricingRelease.knobs, "v2": PricingRelease.knobs, "controller": ReleaseSettings.knobs,
    ]
}
