import Foundation
import LabKit

/// `kind: postgres`: a real PostgreSQL cluster of its own → `DATABASE_URL=postgres://lab@127.0.0.1:P/lab`.
///
/// Settings:
/// - `init_sql`: a file in the lab directory, applied once the `lab` database exists (and in each
///   of `databases`);
/// - `databases`: more databases in the same cluster, owned by `lab` (`[bank_a, bank_b]`);
/// - `settings`: server parameters (`{max_prepared_transactions: 20, wal_level: logical}`), passed
///   as `-c name=value`; PostgreSQL checks them when it starts;
/// - `standbys`: hot standbys streaming from this primary (see `PostgresReplicaSet`), each through a
///   fault proxy named `<name>-replication` (`-1`, `-2`, … for several) that `proxy_toxic` can cut;
///   services also get `<NAME>_STANDBY_URL` and `<NAME>_NODE_URLS` (primary first);
/// - `synchronous`: a commit waits until a standby has flushed it (`synchronous_standby_names`);
/// - `replay_delay`: `recovery_min_apply_delay` on the standbys (`500ms`).
///
/// `infra` commands (with standbys): `promote {standby: 1}`, `kill|stop|cont {node: primary|standby-1}`, `status`.
struct PostgresKind: InfrastructureKind {
    var name: String { "postgres" }
    var aliases: [String] { ["postgresql"] }
    var programs: [String] { ["initdb", "postgres", "psql", "pg_basebackup"] }
    var settingKeys: [String] { ["init_sql", "databases", "settings", "standbys", "synchronous", "replay_delay"] }
    var conventionalURLVariable: String? { "DATABASE_URL" }

    func validate(_ settings: InfrastructureSettingsReader) throws {
        _ = try settings.string("init_sql")
        try settings.requireFile("init_sql")
        for database in try settings.stringList("databases") ?? [] where !Self.isIdentifier(database) {
            throw settings.fail("databases", "'\(database)' is not a database name (lower-case letters, digits and '_')")
        }
        if let parameters = settings.values["settings"] {
            guard case .object(let fields) = parameters else {
                throw settings.fail("settings", "expected a mapping of server parameters, e.g. {max_prepared_transactions: 20}")
            }
            for (key, value) in fields {
                guard Self.isIdentifier(key) else { throw settings.fail("settings", "'\(key)' is not a server parameter name") }
                guard Self.parameterValue(value) != nil else {
                    throw settings.fail("settings", "\(key): expected a string, number or boolean")
                }
            }
        }
        let standbys = try settings.int("standbys", in: 0...4) ?? 0
        if standbys == 0 {
            for key in ["synchronous", "replay_delay"] where settings.keys.contains(key) {
                throw settings.fail(key, "'\(key)' needs 'standbys: 1' (or more)")
            }
        }
        _ = try settings.bool("synchronous")
        _ = try settings.duration("replay_delay", max: 600)
    }

    func proxyNames(_ item: InfrastructureSpec) -> [String] {
        PostgresReplicaSet.linkNames(item.name, standbys: Self.standbys(item))
    }

    func start(_ item: InfrastructureSpec, _ context: InfrastructureContext) async throws -> StartedInfrastructure {
        let initSQL = try item.initSQL.map { try String(contentsOf: context.labFile($0), encoding: .utf8) }
        let databases: [String] =
            switch item.settings["databases"] {
            case .string(let one)?: [one]
            case .array(let many)?: many.compactMap(\.stringValue)
            default: []
            }
        var parameters: [String: String] = [:]
        if case .object(let fields)? = item.settings["settings"] {
            for (key, value) in fields { parameters[key] = Self.parameterValue(value) }
        }
        let standbys = Self.standbys(item)
        guard standbys > 0 else {
            let postgres = try await PostgresServer.start(
                directory: context.directory, initSQL: initSQL, locator: context.locator,
                template: context.cacheDirectory.map { PostgresClusterTemplate(cache: $0) }, settings: parameters, databases: databases)
            return StartedInfrastructure(url: postgres.url, processes: [postgres.process], stop: { await postgres.stop() })
        }
        let set = try await PostgresReplicaSet.start(
            name: item.name, directory: context.directory, standbys: standbys,
            synchronous: item.settings["synchronous"].flatMap(Self.parameterValue) == "on",
            replayDelay: item.settings["replay_delay"].flatMap(Self.seconds),
            settings: parameters, initSQL: initSQL, databases: databases, labsvc: context.labsvc, locator: context.locator,
            template: context.cacheDirectory.map { PostgresClusterTemplate(cache: $0) }, readyTimeout: context.readyTimeout,
            log: context.log)
        return StartedInfrastructure(
            url: set.primary.url, environment: set.environment, processes: set.processes, scrapeJobs: set.scrapeJobs,
            endpoints: set.endpoints, stop: { await set.stop() }, command: { try await set.command($0, $1) })
    }

    func composeImage(_ item: InfrastructureSpec) -> ComposeImages? {
        PostgresCompose.images(item)
    }

    // MARK: helpers

    static func standbys(_ item: InfrastructureSpec) -> Int {
        item.settings["standbys"].flatMap { $0.intValue ?? $0.stringValue.flatMap { Int($0) } } ?? 0
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == ".") }
            && !(text.first?.isNumber ?? true)
    }

    static func parameterValue(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): ["true", "yes"].contains(text) ? "on" : ["false", "no"].contains(text) ? "off" : text
        case .bool(let flag): flag ? "on" : "off"
        case .number(let number): number == number.rounded() ? String(Int(number)) : String(number)
        default: nil
        }
    }

    /// `500ms`, `2s` or a number of seconds, as the manifest wrote it.
    static func seconds(_ value: JSONValue) -> Double? {
        if let number = value.doubleValue { return number }
        guard let text = value.stringValue else { return nil }
        return LabDuration.seconds(text)
    }
}
