// From a lab's scenario (manifest) to the load generator's plan (engine).

extension LoadPlan {
    /// The load generator's plan for `scenario`, sending to `target` (e.g. `http://127.0.0.1:8080`).
    /// `durationScale` stretches or shrinks every phase (tests run labs at 0.3–0.5).
    public init(scenario: ScenarioSpec, target: String, durationScale: Double = 1, seed: UInt64? = nil) {
        let phases = scenario.phases.map { phase in
            let specs = phase.requests ?? scenario.requests
            let requests =
                specs.isEmpty
                // A quiet phase sends nothing, but the engine wants a request kind to exist.
                ? [RequestKind(name: "idle", path: "/healthz")]
                : specs.map(RequestKind.init(spec:))
            let arrivals: ArrivalModel
            switch phase.load {
            case .rate(let rps): arrivals = .openLoop(.constant(rps))
            case .users(let users, let think): arrivals = .closedLoop(users: users, thinkTime: .lab(seconds: think))
            case .idle: arrivals = .openLoop(.constant(0))
            }
            return LoadPhase(
                name: phase.name, duration: .lab(seconds: phase.durationSeconds * durationScale),
                arrivals: arrivals, requests: requests)
        }
        self.init(target: target, phases: phases, seed: seed)
    }
}

extension RequestKind {
    init(spec: RequestSpec) {
        let keys: KeyDistribution
        switch spec.keys.shape {
        case .uniform: keys = .uniform(count: spec.keys.count)
        case .zipf(let s): keys = .zipf(count: spec.keys.count, exponent: s)
        }
        self.init(
            name: spec.name, weight: spec.weight, method: spec.method, path: spec.path,
            headers: spec.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            body: spec.body, keys: keys, timeout: spec.timeoutSeconds.map { .lab(seconds: $0) })
    }
}
