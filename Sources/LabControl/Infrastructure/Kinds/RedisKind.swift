/// `kind: redis`: a real `redis-server` (no persistence) → `REDIS_URL=redis://127.0.0.1:P`.
struct RedisKind: InfrastructureKind {
    var name: String { "redis" }
    var programs: [String] { ["redis-server"] }
    var conventionalURLVariable: String? { "REDIS_URL" }

    func start(_ item: InfrastructureSpec, _ context: InfrastructureContext) async throws -> StartedInfrastructure {
        let redis = try await RedisServer.start(directory: context.directory, locator: context.locator)
        return StartedInfrastructure(url: redis.url, processes: [redis.process], stop: { await redis.stop() })
    }

    func composeImage(_ item: InfrastructureSpec) -> ComposeImages? {
        ComposeImages(image: "redis:7.0.15", port: 6379, urlScheme: "redis", healthcheck: "redis-cli ping | grep -q PONG")
    }
}
