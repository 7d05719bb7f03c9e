/// Where everything of a lab is on the Docker path: the one place that knows the compose DNS
/// names and ports. The generator writes `labs/<lab>/compose.yaml` from it and the compose
/// scenario target (`labctl run --target compose`) addresses the running containers with it, so
/// the two cannot drift apart.
///
/// - every service instance is a compose service named like `ServiceInstance` names it
///   (`client`, `backend-1`, `backend-2`) listening on port 8080;
/// - infrastructure runs under its manifest name (`redis`, `postgres`); with `proxied: true` a
///   fault proxy `<name>-proxy` listens on the server's port and services are wired to it, its
///   admin API (and `/metrics`) on port 8474;
/// - the base stack (compose.yaml at the root) provides `prometheus:9090` and `otel-collector:4318`.
public struct ComposeLayout: Sendable {
    public static let servicePort = 8080
    public static let proxyAdminPort = 8474
    public static let prometheusURL = "http://prometheus:9090"
    public static let otlpEndpoint = "http://otel-collector:4318"
    /// The compose network every lab joins (declared in the root compose.yaml).
    public static let network = "lab"
    /// The one image every lab service and the scenario runner use (built from the root Dockerfile).
    public static let image = "distributed-lab:local"

    public let manifest: LabManifest

    public init(manifest: LabManifest) { self.manifest = manifest }

    /// `07-circuit-breakers`: the lab's directory under labs/ (the catalog enforces the name).
    public var directoryName: String { String(format: "%02d-%@", manifest.week, manifest.slug) }

    /// `backend-1`, `backend-2` for a role with two replicas; the role itself for one.
    public func instanceNames(of service: ServiceSpec) -> [String] {
        (1...max(1, service.replicas)).map {
            ServiceInstance.name(role: service.role, replica: $0, replicas: service.replicas)
        }
    }

    /// Every instance name of the lab, in manifest order.
    public var allInstanceNames: [String] { manifest.services.flatMap(instanceNames(of:)) }

    /// Base URLs for a role (every replica) or for one instance name; empty when unknown.
    public func serviceURLs(_ name: String) -> [String] {
        if let service = manifest.service(name) {
            return instanceNames(of: service).map(Self.url(forInstance:))
        }
        return allInstanceNames.contains(name) ? [Self.url(forInstance: name)] : []
    }

    public static func url(forInstance name: String) -> String { "http://\(name):\(servicePort)" }

    /// The compose service name of the fault proxy in front of `name`.
    public static func proxyName(_ name: String) -> String { "\(name)-proxy" }

    /// The fault proxy's admin API, when the infrastructure `name` is proxied (or `name` is a proxy
    /// its kind puts on an inner link, which runs as the container `<name>-proxy` too).
    public func proxyAdminURL(_ name: String) -> String? {
        let inner = manifest.infrastructure.flatMap { $0.kind.definition?.proxyNames($0) ?? [] }
        guard manifest.infrastructure.contains(where: { $0.name == name && $0.proxied }) || inner.contains(name) else { return nil }
        return "http://\(Self.proxyName(name)):\(Self.proxyAdminPort)"
    }

    /// The URL services get for a piece of infrastructure (through its proxy when proxied),
    /// nil for kinds the compose path has no image for and for Prometheus (the shared one).
    public func infrastructureURL(_ item: InfrastructureSpec) -> String? {
        guard let image = ComposeImages.image(for: item), let port = image.port, let scheme = image.urlScheme else {
            return nil
        }
        let host = item.proxied ? Self.proxyName(item.name) : item.name
        return "\(scheme)://\(image.urlUserInfo.map { $0 + "@" } ?? "")\(host):\(port)\(image.urlPath)"
    }

    /// The base URLs of every role, as `ServiceEnvironment` wants them.
    public var serviceURLsByRole: [String: [String]] {
        Dictionary(uniqueKeysWithValues: manifest.services.map { ($0.role, serviceURLs($0.role)) })
    }

    /// What every service gets from the infrastructure besides URLs (a balancer's Runtime API).
    public var infrastructureEnvironment: [String: String] {
        var environment: [String: String] = [:]
        for item in manifest.infrastructure {
            environment.merge(ComposeImages.image(for: item)?.serviceEnvironment ?? [:]) { _, new in new }
        }
        return environment
    }

    /// Infrastructure name → URL, for the kinds the compose path runs.
    public var infrastructureURLs: [String: String] {
        var urls: [String: String] = [:]
        for item in manifest.infrastructure { urls[item.name] = infrastructureURL(item) }
        return urls
    }
}

/// The pinned images of the infrastructure the compose path can run, and how services reach them.
/// Versions follow Debian 12's packages where the native path uses them (Redis 7.0, PostgreSQL 15).
public struct ComposeImages: Sendable, Equatable {
    public var image: String
    /// The port services connect to (nil: nothing to connect to).
    public var port: Int?
    public var urlScheme: String?
    public var urlUserInfo: String?
    public var urlPath: String = ""
    /// The container's health check (`CMD-SHELL` form).
    public var healthcheck: String?
    public var environment: [String: String] = [:]

    /// The credentials of the compose PostgreSQL (a lab database, not a secret).
    public static let postgresUser = "lab"
    public static let postgresPassword = "lab"
    public static let postgresDatabase = "lab"

    /// A file of the lab mounted read-only into the container.
    public var initFile: MountedFile?
    /// Where Prometheus scrapes the server's own metrics (a broker's queue depths), as job `<name>`.
    public var metrics: MetricsEndpoint?

    public struct MetricsEndpoint: Sendable, Equatable {
        public var port: Int
        public var path: String
        public init(port: Int, path: String = "/metrics") {
            self.port = port
            self.path = path
        }
    }

    /// A configuration file `labctl gen` writes per variant (`compose/<variant>/<source>`, from the
    /// kind's `composeConfigFile`), mounted read-only; the variant is chosen by `LAB_VARIANT`.
    public var variantConfig: MountedFile?
    /// The container's entrypoint and command (nil: the image's own).
    public var entrypoint: [String]?
    public var command: [String]?
    /// More containers of the same item (a standby, the fault proxy on its replication link), each
    /// named `<item>-<suffix>`, started after the main one is healthy.
    public var companions: [Companion] = []
    /// More variables for every lab service (`DB_STANDBY_URL`), with compose DNS names.
    public var serviceEnvironment: [String: String] = [:]

    /// Another container of an item.
    public struct Companion: Sendable, Equatable {
        public var suffix: String
        /// nil: the lab image (`labsvc`, for fault proxies).
        public var image: String?
        public var command: [String]
        public var entrypoint: [String]?
        public var environment: [String: String]
        public var healthcheck: String?
        /// Other companions (by suffix) it waits for, besides the main container.
        public var after: [String]
        /// Whether lab services wait for it too.
        public var servicesWait: Bool

        public init(
            suffix: String, image: String?, command: [String], entrypoint: [String]? = nil,
            environment: [String: String] = [:], healthcheck: String?, after: [String] = [], servicesWait: Bool = true
        ) {
            self.suffix = suffix
            self.image = image
            self.command = command
            self.entrypoint = entrypoint
            self.environment = environment
            self.healthcheck = healthcheck
            self.after = after
            self.servicesWait = servicesWait
        }
    }

    public struct MountedFile: Sendable, Equatable {
        /// Relative to the lab directory.
        public var source: String
        /// Inside the container.
        public var target: String
        public init(_ source: String, at target: String) {
            self.source = source
            self.target = target
        }
    }

    public init(
        image: String, port: Int? = nil, urlScheme: String? = nil, urlUserInfo: String? = nil, urlPath: String = "",
        healthcheck: String? = nil, environment: [String: String] = [:], initFile: MountedFile? = nil,
        metrics: MetricsEndpoint? = nil, variantConfig: MountedFile? = nil, serviceEnvironment: [String: String] = [:]
    ) {
        self.image = image
        self.port = port
        self.urlScheme = urlScheme
        self.urlUserInfo = urlUserInfo
        self.urlPath = urlPath
        self.healthcheck = healthcheck
        self.environment = environment
        self.initFile = initFile
        self.metrics = metrics
        self.variantConfig = variantConfig
        self.serviceEnvironment = serviceEnvironment
    }

    /// The compose service of a piece of infrastructure, as its kind defines it (nil: none).
    public static func image(for item: InfrastructureSpec) -> ComposeImages? {
        item.kind.definition?.composeImage(item)
    }
}
