import Foundation
import LabKit

/// One kind of infrastructure a lab can ask for in lab.yaml (`- kind: redis`): how its settings are
/// checked when the manifest loads, how the native runtime starts it, how the compose path runs it.
///
/// Each kind lives in its own file in this folder and is listed once in `InfrastructureKinds.all`.
/// Adding a kind (a load balancer, a broker, a replicated database) touches no other file of the
/// runtime: the runtime starts every kind the same way, concurrently, before the lab's services.
public protocol InfrastructureKind: Sendable {
    /// The name written in lab.yaml (`redis`).
    var name: String { get }
    /// Other accepted spellings (`postgresql`).
    var aliases: [String] { get }
    /// Programs the native runtime runs for it (`labctl doctor` names their Debian packages).
    var programs: [String] { get }
    /// Keys this kind reads in its lab.yaml entry besides `kind`, `name` and `proxied`.
    var settingKeys: [String] { get }
    /// The variable services get besides `<NAME>_URL` when this is the lab's only (or the
    /// conventionally named) instance of the kind: `REDIS_URL`, `DATABASE_URL`.
    var conventionalURLVariable: String? { get }
    /// Whether the native runtime can start it on this machine's packages.
    var runsNatively: Bool { get }
    /// Whether its URL is an HTTP endpoint a scenario can send load to (a balancer).
    var servesHTTP: Bool { get }

    /// Checks the entry's settings when the manifest loads; errors name the file, line and field.
    func validate(_ settings: InfrastructureSettingsReader) throws
    /// Checks a variant's changes to the entry's settings (`variants.<v>.infrastructure.<name>`).
    func validateOverride(_ settings: InfrastructureSettingsReader) throws
    /// Starts it natively, ready to use, or throws with the reason and its log's last lines.
    func start(_ item: InfrastructureSpec, _ context: InfrastructureContext) async throws -> StartedInfrastructure
    /// How the compose path runs it (nil: it has no compose service).
    func composeImage(_ item: InfrastructureSpec) -> ComposeImages?
    /// The configuration file `labctl gen` writes for the compose path in `variant`
    /// (`ComposeImages.variantConfig` names where it is mounted), nil for none.
    func composeConfigFile(_ item: InfrastructureSpec, variant: VariantSpec, layout: ComposeLayout) -> String?
    /// Fault proxies the kind puts on links inside it (a primary's replication link to a standby),
    /// by the name `proxy_toxic` uses; it starts them and lists their admin APIs in its endpoints as
    /// `<proxy name>-proxy`. `proxied: true` is the proxy in front of the whole item, not one of these.
    func proxyNames(_ item: InfrastructureSpec) -> [String]
}

extension InfrastructureKind {
    public var aliases: [String] { [] }
    public var settingKeys: [String] { [] }
    public var conventionalURLVariable: String? { nil }
    public var runsNatively: Bool { true }
    public var servesHTTP: Bool { false }
    public func validate(_ settings: InfrastructureSettingsReader) throws {}
    public func validateOverride(_ settings: InfrastructureSettingsReader) throws { try validate(settings) }
    public func composeImage(_ item: InfrastructureSpec) -> ComposeImages? { nil }
    public func composeConfigFile(_ item: InfrastructureSpec, variant: VariantSpec, layout: ComposeLayout) -> String? { nil }
    public func proxyNames(_ item: InfrastructureSpec) -> [String] { [] }
}

/// What a kind's `start` gets from the runtime.
public struct InfrastructureContext: Sendable {
    /// The lab being started.
    public let lab: LabCatalog.Entry
    public let variant: VariantSpec
    /// `.lab/<lab id>/<name>/`: the kind's own directory (data, config, log).
    public let directory: URL
    public let locator: ProgramLocator
    /// The `labsvc` binary (fault proxies and exporters run as `labsvc …`).
    public let labsvc: URL
    /// Base URLs of every service replica, known before any service starts (a load balancer's backends).
    public let serviceURLs: [String: [String]]
    public let readyTimeout: Duration
    /// Where shared, reusable artefacts go (a PostgreSQL cluster template), or nil for none.
    public let cacheDirectory: URL?
    public let log: @Sendable (String) -> Void

    /// A file named in the lab's manifest: relative to the lab directory, else to the repository.
    public func labFile(_ path: String) -> URL {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
        let local = lab.directory.appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        return lab.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(path)
    }
}

/// A piece of infrastructure the runtime started.
public struct StartedInfrastructure: Sendable {
    /// Where services reach it (`redis://127.0.0.1:P`); `<NAME>_URL` in their environment.
    public var url: String
    /// More variables for every service (a standby's URL, a second port).
    public var environment: [String: String]
    /// Its processes, in start order (recorded in state.json, supervised, logs in endpoints.json).
    public var processes: [ChildProcess]
    /// Prometheus scrape jobs for its metrics (an exporter, the balancer's stats).
    public var scrapeJobs: [PrometheusScrapeJob]
    /// Extra named URLs for `.lab/endpoints.json` (a stats page, an admin API).
    public var endpoints: [String: String]
    /// Stops everything it started and leaves no process behind.
    public var stop: @Sendable () async -> Void
    /// What a scenario's `infra` action can ask of it (`switch`, `promote`, …), or nil for nothing.
    public var command: (@Sendable (_ name: String, _ arguments: JSONValue) async throws -> String)?
    /// Called once the lab's services are ready, with the instances that run (a balancer waits
    /// until its health checks see them up), before the scenario starts; nil: nothing to wait for.
    public var servicesStarted: (@Sendable (_ running: Set<String>) async throws -> Void)?
    /// Set by the runtime when a fault proxy sits in front (`proxied: true`).
    public internal(set) var proxyAdminURL: String?

    public init(
        url: String, environment: [String: String] = [:], processes: [ChildProcess], scrapeJobs: [PrometheusScrapeJob] = [],
        endpoints: [String: String] = [:], stop: @escaping @Sendable () async -> Void,
        command: (@Sendable (_ name: String, _ arguments: JSONValue) async throws -> String)? = nil
    ) {
        self.url = url
        self.environment = environment
        self.processes = processes
        self.scrapeJobs = scrapeJobs
        self.endpoints = endpoints
        self.stop = stop
        self.command = command
    }
}

/// The kind-specific keys of one infrastructure entry, for a kind's `validate`.
public struct InfrastructureSettingsReader {
    let fields: MappingReader
    /// The lab's directory, where files the entry names must exist (nil: not checked).
    let labDirectory: URL?
    /// The lab's service roles and their replica counts (a balancer's backends name them).
    var roles: [String: Int] = [:]

    public var keys: [String] { fields.entries.map(\.key) }
    public var values: [String: JSONValue] { (try? fields.owner.jsonObject()) ?? [:] }

    /// Throws a `ManifestError` for `key` (file, line, field path) with `message`.
    public func fail(_ key: String, _ message: String) -> Error {
        (fields.optional(key) ?? fields.owner).error(message)
    }

    public func string(_ key: String) throws -> String? { try fields.optional(key)?.nonEmptyString() }
    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let reader = fields.optional(key) else { return nil }
        let value = try reader.int()
        guard range.contains(value) else {
            throw reader.error("must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
        }
        return value
    }
    public func bool(_ key: String) throws -> Bool? { try fields.optional(key)?.bool() }
    public func duration(_ key: String, max: Double = 3_600) throws -> Double? {
        guard let reader = fields.optional(key) else { return nil }
        let seconds = try reader.durationSeconds().seconds
        guard seconds >= 0, seconds <= max else { throw reader.error("must be between 0s and \(Int(max))s") }
        return seconds
    }
    public func stringList(_ key: String) throws -> [String]? { try fields.optional(key)?.stringList() }

    /// A file the entry names must exist, relative to the lab directory.
    public func requireFile(_ key: String) throws {
        guard let reader = fields.optional(key), let labDirectory else { return }
        for path in try reader.stringList() {
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : labDirectory.appendingPathComponent(path)
            let repository = labDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path) || FileManager.default.fileExists(atPath: repository.path) else {
                throw reader.error("file '\(path)' does not exist (paths are relative to the lab directory)")
            }
        }
    }
}
