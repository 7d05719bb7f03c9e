import LabKit

/// The bounded resources a tier calls out through (LabKit's `Bulkhead`, so their occupancy shows up as
/// `bulkhead_in_use{name}` / `bulkhead_waiting{name}` and rejections as `bulkhead_rejected_total`).
///
/// - `shared`: one pool named `outbound` for every dependency, with a patient wait queue — the
///   usual default of a thread pool or an HTTP client's connection pool.
/// - `per-dependency`: one bulkhead per dependency, named after it, that rejects at once when full.
struct OutboundPools {
    private let pools: [String: Bulkhead<ContinuousClock>]

    init(_ settings: TierSettings, dependencies: [String]) {
        switch settings.pools {
        case .shared:
            let shared = Bulkhead(
                name: "outbound",
                configuration: .init(
                    maxConcurrentCalls: settings.poolSize, maxWaitDuration: settings.poolWait, maxQueueLength: settings.poolQueue))
            pools = Dictionary(dependencies.map { ($0, shared) }, uniquingKeysWith: { first, _ in first })
        case .perDependency:
            var pools: [String: Bulkhead<ContinuousClock>] = [:]
            for dependency in dependencies where pools[dependency] == nil {
                pools[dependency] = Bulkhead(
                    name: dependency,
                    configuration: .init(maxConcurrentCalls: settings.bulkheadSlots(dependency), maxWaitDuration: settings.bulkheadWait))
            }
            self.pools = pools
        }
    }

    func pool(for dependency: String) -> Bulkhead<ContinuousClock> {
        guard let pool = pools[dependency] else { preconditionFailure("no pool for \(dependency)") }
        return pool
    }
}
