import Foundation

/// `kind: postgres`: a real PostgreSQL cluster of its own → `DATABASE_URL=postgres://lab@127.0.0.1:P/lab`.
///
/// Settings: `init_sql` (a file in the lab directory, applied once the `lab` database exists).
struct PostgresKind: InfrastructureKind {
    var name: String { "postgres" }
    var aliases: [String] { ["postgresql"] }
    var programs: [String] { ["initdb", "postgres", "psql"] }
    var settingKeys: [String] { ["init_sql"] }
    var conventionalURLVariable: String? { "DATABASE_URL" }

    func validate(_ settings: InfrastructureSettingsReader) throws {
        _ = try settings.string("init_sql")
        try settings.requireFile("init_sql")
    }

    func start(_ item: InfrastructureSpec, _ context: InfrastructureContext) async throws -> StartedInfrastructure {
        let initSQL = try item.initSQL.map { try String(contentsOf: context.labFile($0), encoding: .utf8) }
        let postgres = try await PostgresServer.start(
            directory: context.directory, initSQL: initSQL, locator: context.locator,
            template: context.cacheDirectory.map { PostgresClusterTemplate(cache: $0) })
        return StartedInfrastructure(url: postgres.url, processes: [postgres.process], stop: { await postgres.stop() })
    }

    func composeImage(_ item: InfrastructureSpec) -> ComposeImages? {
        ComposeImages(
            image: "postgres:15.8", port: 5432, urlScheme: "postgres",
            urlUserInfo: "\(ComposeImages.postgresUser):\(ComposeImages.postgresPassword)", urlPath: "/\(ComposeImages.postgresDatabase)",
            healthcheck: "pg_isready -U \(ComposeImages.postgresUser) -d \(ComposeImages.postgresDatabase)",
            environment: [
                "POSTGRES_USER": ComposeImages.postgresUser, "POSTGRES_PASSWORD": ComposeImages.postgresPassword,
                "POSTGRES_DB": ComposeImages.postgresDatabase,
            ],
            initFile: item.initSQL.map { .init($0, at: "/docker-entrypoint-initdb.d/init.sql") })
    }
}
