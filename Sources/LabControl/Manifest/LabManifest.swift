import LabKit

/// A lab as its `labs/<NN>-<slug>/lab.yaml` describes it: the single source of truth from which
/// the native runtime starts the lab, `labctl gen` writes derived files, and the scenario runner
/// drives load, faults and measurements. The schema is documented for lab authors in labs/README.md.
public struct LabManifest: Sendable, Equatable {
    /// The curriculum week (0 for labs outside the curriculum, such as the self-test).
    public var week: Int
    /// kebab-case name, also the second half of the directory name (`07-circuit-breakers`).
    public var slug: String
    /// The name `labsvc` knows the lab by (`labsvc <id> <role>`); `week07` unless set.
    public var id: String
    public var title: String
    public var summary: String
    public var services: [ServiceSpec]
    public var infrastructure: [InfrastructureSpec]
    /// By name; `before` and `after` always exist.
    public var variants: [String: VariantSpec]
    public var scenario: ScenarioSpec?
    public var dashboard: [DashboardPanel]
    public var measurements: [MeasurementSpec]
    public var expectations: [ExpectationSpec]
    /// How `labctl verify` runs it (its `test:` section).
    public var test: TestSpec = .default
    /// Every PromQL expression (panels and measurements) with its file, line and field, for the
    /// catalog's parse check (`PromQLChecker`).
    public var promqlExpressions: [PromQLExpression] = []

    public func service(_ role: String) -> ServiceSpec? { services.first { $0.role == role } }
    /// The service load is sent to: the one marked `entry: true`, else the first.
    public var entryService: ServiceSpec? { services.first { $0.entry } ?? services.first }
    public var variantNames: [String] { variants.keys.sorted { variantOrder($0) < variantOrder($1) } }

    private func variantOrder(_ name: String) -> (Int, String) {
        (name == "before" ? 0 : name == "after" ? 1 : 2, name)
    }
}

/// One lab service, run as `labsvc <lab id> <role>`.
public struct ServiceSpec: Sendable, Equatable {
    public var role: String
    public var replicas: Int
    /// Environment for every replica (the variant's env is applied on top).
    public var env: [String: String]
    /// Roles this service calls; each becomes `<ROLE>_URL` in its environment and is started first.
    public var dependsOn: [String]
    /// The service the load generator targets.
    public var entry: Bool
    /// The name of its HTTP port in endpoints and generated files.
    public var portName: String
    /// An optional command-line override: extra arguments after `labsvc <lab> <role>`.
    public var arguments: [String]
    /// False: not started with the lab; a scenario's `start` action starts it (a deployment, a
    /// replica that joins later).
    public var autostart: Bool = true
    /// The most memory one replica may use (`memory_limit: 96MB`); past it the process is killed
    /// and started again (the native runtime's cgroup or RSS watchdog, compose's `mem_limit`).
    public var memoryLimitBytes: Int? = nil

    /// `ROLE_URL` for a role: upper-cased, `-` → `_`.
    public static func urlVariable(for role: String) -> String {
        role.uppercased().replacingOccurrences(of: "-", with: "_") + "_URL"
    }
}

/// A piece of infrastructure a lab needs.
public struct InfrastructureSpec: Sendable, Equatable {
    /// The kind as lab.yaml names it (`redis`, `postgres`, `rabbitmq`, …), normalised to the kind's
    /// own name. What each kind does lives in `InfrastructureKinds` (Infrastructure/Kinds/).
    public struct Kind: Sendable, Equatable, Hashable, CustomStringConvertible {
        public let name: String

        public init(_ name: String) { self.name = InfrastructureKinds.named(name)?.name ?? name }

        public static let redis = Kind("redis")
        public static let postgres = Kind("postgres")
        public static let prometheus = Kind("prometheus")

        public var description: String { name }
        /// What the platform knows about this kind (nil: a kind it does not know).
        public var definition: (any InfrastructureKind)? { InfrastructureKinds.named(name) }
        /// Whether the native runtime can start this kind.
        public var runsNatively: Bool { definition?.runsNatively ?? false }
        /// The programs the native runtime needs for it.
        public var programs: [String] {
            definition?.programs ?? [name == "rabbitmq" ? "rabbitmq-server" : name]
        }
    }

    public var kind: Kind
    /// Unique within the lab; defaults to the kind. Services get `<NAME>_URL`.
    public var name: String
    /// Whether a fault-injecting TCP proxy sits in front of it (named like the infrastructure).
    public var proxied: Bool
    /// The kind's own keys of the entry, as written (checked by the kind when the manifest loads).
    public var settings: [String: JSONValue]

    public init(kind: Kind, name: String, proxied: Bool = false, settings: [String: JSONValue] = [:]) {
        self.kind = kind
        self.name = name
        self.proxied = proxied
        self.settings = settings
    }

    /// postgres: SQL file (relative to the lab directory) applied after the database is created.
    public var initSQL: String? { settings["init_sql"]?.stringValue }
    /// prometheus: rule files (relative to the repository root or the lab directory).
    public var rules: [String] {
        switch settings["rules"] {
        case .string(let one)?: [one]
        case .array(let many)?: many.compactMap(\.stringValue)
        default: []
        }
    }
}

/// A variant of the lab (`before`, `after`, …): environment and configuration on top of the base.
public struct VariantSpec: Sendable, Equatable {
    public var name: String
    public var description: String
    /// For every service.
    public var env: [String: String]
    /// Per role: extra environment and admin-API configuration knobs.
    public var services: [String: ServiceOverride]
    /// Per infrastructure name: settings that replace the entry's own in this variant
    /// (`infrastructure: {lb: {slow_start: 10s}}`).
    public var infrastructure: [String: [String: JSONValue]] = [:]
    /// Timed actions of this variant only, played with the scenario's own (a deployment procedure).
    public var actions: [ActionSpec] = []

    public struct ServiceOverride: Sendable, Equatable {
        public var env: [String: String]
        public var config: [String: JSONValue]
    }

    /// The environment a role gets in this variant (variant-wide, then role-specific).
    public func env(for role: String) -> [String: String] {
        env.merging(services[role]?.env ?? [:]) { _, specific in specific }
    }

    /// An infrastructure entry's settings in this variant (its own, then the variant's changes).
    public func settings(of item: InfrastructureSpec) -> [String: JSONValue] {
        item.settings.merging(infrastructure[item.name] ?? [:]) { _, variant in variant }
    }
}

/// The timeline a run follows: load phases and actions at given offsets.
public struct ScenarioSpec: Sendable, Equatable {
    /// The role load is sent to (defaults to the manifest's entry service), or the name of an
    /// infrastructure item with an http URL (a load balancer).
    public var target: String?
    public var phases: [PhaseSpec]
    /// The default request mix (a phase may replace it).
    public var requests: [RequestSpec]
    public var actions: [ActionSpec]

    public var totalSeconds: Double { phases.reduce(0) { $0 + $1.durationSeconds } }

    /// The scenario's actions and `variant`'s own, in time order (at the same time: the
    /// scenario's first, each list in its written order).
    public func actions(for variant: VariantSpec?) -> [ActionSpec] {
        let all = actions + (variant?.actions ?? [])
        return all.enumerated().sorted { ($0.element.atSeconds, $0.offset) < ($1.element.atSeconds, $1.offset) }.map(\.element)
    }
    /// Seconds from the scenario start to the start of `phase`.
    public func startOffset(ofPhase name: String) -> Double? {
        var offset = 0.0
        for phase in phases {
            if phase.name == name { return offset }
            offset += phase.durationSeconds
        }
        return nil
    }
}

public struct PhaseSpec: Sendable, Equatable {
    public var name: String
    /// As written ("10s").
    public var duration: String
    public var durationSeconds: Double
    public var load: LoadSpec
    /// Replaces the scenario's request mix during this phase.
    public var requests: [RequestSpec]?
}

public enum LoadSpec: Sendable, Equatable {
    /// Open loop: requests per second, whatever the latency.
    case rate(Double)
    /// Closed loop: this many concurrent users, each waiting `thinkSeconds` between requests.
    case users(Int, thinkSeconds: Double)
    /// No load (a quiet phase).
    case idle
}

public struct RequestSpec: Sendable, Equatable {
    public var name: String
    public var method: String
    /// May contain `{id}`, replaced by a key drawn from `keys`.
    public var path: String
    public var weight: Double
    public var headers: [String: String]
    public var body: String?
    public var keys: KeyDistribution
    /// How long the client waits for the response (nil: the load generator's default, 10 s); a
    /// request still unanswered then counts as a timeout, not as a latency.
    public var timeoutSeconds: Double? = nil
}

public struct KeyDistribution: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        case uniform
        /// Zipf with exponent s (s > 0; ~1 means a few hot keys take most requests).
        case zipf(s: Double)
    }
    public var shape: Shape
    /// Keys are 1...count.
    public var count: Int

    public static let `default` = KeyDistribution(shape: .uniform, count: 1000)
}

/// Something the scenario does at a moment: faults, process control, configuration.
public struct ActionSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case setFault(service: String, fault: JSONValue)
        case clearFault(service: String)
        case proxyToxic(proxy: String, toxic: JSONValue)
        case kill(service: String)
        case stop(service: String)
        /// SIGCONT: a stopped service runs again.
        case cont(service: String)
        case restart(service: String)
        /// Starts an instance that is not running (`autostart: false`, or after `terminate`) and
        /// waits until it is ready.
        case start(service: String)
        /// SIGTERM: the service shuts down gracefully (in-flight requests finish) and stays down.
        case terminate(service: String)
        case setConfig(service: String, knobs: [String: JSONValue])
        /// An HTTP request to the service (every replica, or the one named): a lab's own control
        /// endpoint, e.g. `POST /admin/deploy` on a deployer.
        case call(service: String, method: String, path: String, body: JSONValue?)
        /// A command to a piece of infrastructure its kind understands (`switch` a balancer, …).
        case infra(name: String, command: String, arguments: JSONValue)
        /// A chaos experiment from the lab's `experiments/` folder: the hypothesis checked, the fault
        /// injected, rolled back early when the hypothesis breaks (see `ChaosRunner`).
        indirect case chaos(experiment: ChaosExperiment)
    }
    /// Seconds from the scenario start.
    public var atSeconds: Double
    /// As written, with the phase it counts from if any ("5s into 'fault'").
    public var at: String
    public var phase: String?
    public var kind: Kind
}

public struct DashboardPanel: Sendable, Equatable {
    public var title: String
    public var promql: String
    /// Grafana unit: s, ms, reqps, percentunit, short, bytes, …
    public var unit: String
    public var description: String?
}

/// A number taken from each run, compared across variants by expectations.
public struct MeasurementSpec: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A PromQL query evaluated at the end of the window (`$window` is replaced by its length, e.g. `30s`).
        case promql(String)
        /// A load-generator statistic, optionally for one request name.
        case loadgen(stat: String, request: String?)
        /// A fact computed from the stored traces (named; the trace store defines them).
        case trace(String)
        /// Arithmetic over other measurements of the same run (`bookings_paid - extra_bookings`):
        /// the names are measurements declared before this one.
        case derived(ExpectationExpression.Term)
        /// The outcome of a chaos experiment the scenario ran (`ChaosReport.statistics`): the
        /// experiment named, or the only one.
        case chaos(statistic: String, experiment: String?)
    }
    public var name: String
    public var source: Source
    /// The phase whose time window the measurement covers (nil: the whole scenario).
    public var phase: String?
    public var unit: String?
    public var description: String?

    /// The facts the trace store computes (`trace:`); the ones ending in `:` take a service name.
    public static let traceFacts: [String] = ["traces", "slowest_seconds", "self_time_share:", "culprit_is:"]

    /// The statistics the load generator reports.
    public static let loadgenStats: [String] = [
        "requests", "errors", "error_rate", "success_rate", "throughput", "timeouts",
        "p50", "p90", "p95", "p99", "p999", "mean", "max",
    ]
}

/// A claim about a measurement across variants, e.g. `after < before / 3`.
public struct ExpectationSpec: Sendable, Equatable {
    public var measurement: String
    /// As written.
    public var check: String
    public var parsed: ExpectationExpression
    public var why: String?
}

/// A PromQL expression as a manifest wrote it, with where: so a parse error names file, line and field.
public struct PromQLExpression: Sendable, Equatable {
    public var expression: String
    public var file: String
    public var line: Int
    /// `measurements[3].promql`, `dashboard.panels[0].promql`
    public var field: String

    public init(expression: String, file: String, line: Int, field: String) {
        self.expression = expression
        self.file = file
        self.line = line
        self.field = field
    }
}
