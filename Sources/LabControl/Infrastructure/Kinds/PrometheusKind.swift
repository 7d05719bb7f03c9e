/// `kind: prometheus`: every lab runs one Prometheus (the runtime starts it first, since it only
/// scrapes a new target after about five seconds); this entry adds rule files to it.
///
/// Settings: `rules` (files relative to the lab directory or the repository root).
struct PrometheusKind: InfrastructureKind {
    var name: String { "prometheus" }
    var programs: [String] { ["prometheus"] }
    var settingKeys: [String] { ["rules"] }

    func validate(_ settings: InfrastructureSettingsReader) throws {
        _ = try settings.stringList("rules")
        try settings.requireFile("rules")
    }

    /// Nothing to start: `LabRuntime` starts the lab's Prometheus itself, with these rules.
    func start(_ item: InfrastructureSpec, _ context: InfrastructureContext) async throws -> StartedInfrastructure {
        StartedInfrastructure(url: "", processes: [], stop: {})
    }
}
