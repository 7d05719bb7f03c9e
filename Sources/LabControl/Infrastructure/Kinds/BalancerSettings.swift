import LabKit

/// What a `kind: haproxy` entry of lab.yaml says about the balancer:
///
/// ```yaml
/// - kind: haproxy
///   name: lb                      # services get LB_URL (the frontend) and LB_RUNTIME_API (host:port)
///   backends: [blue, green]       # the roles behind it: every replica is a server, named like its instance
///   weights: {green: 0}           # per role or instance, 0...256 (default 100; 0 = no traffic)
///   slow_start: 10s               # a server that comes up ramps its weight from 0 over this long
///   health_check: {path: /readyz, interval: 500ms, rise: 2, fall: 2}
///   balance: roundrobin           # roundrobin, leastconn, random, first, source
///   retries: 2                    # a refused connection is tried again (the last time on another server); 0: fails at once
/// ```
/// A variant may change any of them (`variants.<v>.infrastructure.lb: {slow_start: 0s}`).
struct BalancerSettings: Sendable, Equatable {
    var backends: [String]
    var weights: [String: Int]
    var slowStartSeconds: Double
    var healthCheck: HealthCheck
    var balance: String
    /// Times a request whose connection failed is tried again, 1 s apart, the last time on
    /// another server (`option redispatch`); 0: it fails at once.
    var retries: Int

    struct HealthCheck: Sendable, Equatable {
        var path = "/readyz"
        var intervalSeconds = 0.5
        /// Consecutive passed checks before a down server takes traffic.
        var rise = 2
        /// Consecutive failed checks before an up server stops taking traffic.
        var fall = 2
    }

    static let keys = ["backends", "weights", "slow_start", "health_check", "balance", "retries"]
    static let balanceAlgorithms = ["roundrobin", "static-rr", "leastconn", "random", "first", "source"]
    static let defaultWeight = 100
    static let weightRange = 0...256

    /// The weight a server of `role` (instance `instance`) starts with.
    func weight(role: String, instance: String) -> Int {
        weights[instance] ?? weights[role] ?? Self.defaultWeight
    }

    /// Reads settings stored from lab.yaml (already validated when the manifest loaded).
    init(_ settings: [String: JSONValue]) {
        switch settings["backends"] {
        case .string(let one)?: backends = [one]
        case .array(let many)?: backends = many.compactMap(\.stringValue)
        default: backends = []
        }
        var weights: [String: Int] = [:]
        if case .object(let object)? = settings["weights"] {
            for (server, value) in object { if let weight = value.intValue { weights[server] = weight } }
        }
        self.weights = weights
        slowStartSeconds = Self.seconds(settings["slow_start"]) ?? 0
        var check = HealthCheck()
        if case .object(let fields)? = settings["health_check"] {
            check.path = fields["path"]?.stringValue ?? check.path
            check.intervalSeconds = Self.seconds(fields["interval"]) ?? check.intervalSeconds
            check.rise = fields["rise"]?.intValue ?? check.rise
            check.fall = fields["fall"]?.intValue ?? check.fall
        }
        healthCheck = check
        balance = settings["balance"]?.stringValue ?? "roundrobin"
        retries = settings["retries"]?.intValue ?? 2
    }

    private static func seconds(_ value: JSONValue?) -> Double? {
        switch value {
        case .string(let text)?: LabDuration.seconds(text)
        case .number(let number)?: number
        default: nil
        }
    }

    /// Checks an entry's (or a variant's override of its) settings when the manifest loads.
    /// `requireBackends`: false for a variant's override, which may leave them as they are.
    static func validate(_ settings: InfrastructureSettingsReader, requireBackends: Bool = true) throws {
        let fields = settings.fields
        let roles = settings.roles
        var servers = Set(roles.keys)
        if let reader = fields.optional("backends") {
            let elements = (try? reader.sequence()) ?? [reader]
            let names = try reader.stringList()
            guard !names.isEmpty else { throw reader.error("name at least one service role to balance") }
            for (name, element) in zip(names, elements) where roles[name] == nil {
                let hint = DidYouMean.suggestion(for: name, among: Array(roles.keys)).map { "; did you mean '\($0)'?" } ?? ""
                throw element.error("unknown service '\(name)'\(hint) (backends are service roles)")
            }
            servers = Set(names)
        } else if requireBackends {
            throw fields.owner.error("a balancer needs 'backends': the service roles behind it, e.g. backends: [api]")
        }
        for (role, replicas) in roles where servers.contains(role) && replicas > 1 {
            for replica in 1...replicas { servers.insert(ServiceInstance.name(role: role, replica: replica, replicas: replicas)) }
        }
        if let reader = fields.optional("weights") {
            for entry in try reader.anyMapping().entries {
                guard servers.contains(entry.key) || !requireBackends else {
                    throw entry.keyReader.error(
                        "'\(entry.key)' is not behind this balancer (backends and their instances: \(servers.sorted().joined(separator: ", ")))"
                    )
                }
                let weight = try entry.value.int()
                guard weightRange.contains(weight) else {
                    throw entry.value.error("a weight is 0...256 (HAProxy's scale), found \(weight)")
                }
            }
        }
        _ = try settings.duration("slow_start", max: 3_600)
        if let reader = fields.optional("health_check") {
            let check = try reader.mapping(allowed: ["path", "interval", "rise", "fall"])
            if let path = check.optional("path") {
                let text = try path.string()
                guard text.hasPrefix("/"), !text.contains(where: \.isWhitespace) else {
                    throw path.error("a path like /readyz, found '\(text)'")
                }
            }
            if let interval = check.optional("interval") {
                let seconds = try interval.durationSeconds().seconds
                guard seconds >= 0.05, seconds <= 60 else { throw interval.error("between 50ms and 60s") }
            }
            for key in ["rise", "fall"] {
                guard let count = check.optional(key) else { continue }
                guard (1...100).contains(try count.int()) else { throw count.error("between 1 and 100") }
            }
        }
        _ = try settings.int("retries", in: 0...10)
        if let reader = fields.optional("balance") {
            let algorithm = try reader.string()
            guard balanceAlgorithms.contains(algorithm) else {
                throw reader.error("'\(algorithm)' is not one of \(balanceAlgorithms.joined(separator: ", "))")
            }
        }
    }
}
