import LabKit

/// KEY IDEA: a cache is a dependency like any other, and the thing it protects is the database.
/// When Redis dies, a service with default client settings makes every request wait for a reconnect
/// that will not come (long timeouts, no fallback), so the outage of a *cache* becomes an outage of
/// the service; and when Redis returns, empty, every waiting request misses at the same moment and
/// the stampede overflows the database. Treat the cache as optional instead: short timeouts, a
/// circuit breaker so a dead cache costs nothing, a fallback to the database behind a concurrency
/// limit that keeps its load within what it can serve, and a warm-up so the cache returns warm.
///
///     GET /products/{id}:  Redis GET product:{id}
///                          hit  → the cached product
///                          miss → db GET /products/{id}, then SET product:{id} (TTL CACHE_TTL_MS)
///                          Redis unavailable → FALLBACK=on: the database; off: 502
enum CatalogService {
    static func build(_ service: LabService) async throws {
        let settings = try CacheDiesSettings(service.knobs)
        let poolSize = try service.knobs.read(LabService.redisPoolSize)
        guard let url = service.context.environment["REDIS_URL"], !url.isEmpty else {
            throw LabStartupError("REDIS_URL is not set: the catalog needs its cache")
        }
        let redis = try RedisClient(
            url: url, poolSize: poolSize,
            connectTimeout: settings.redisTimeout, commandTimeout: settings.redisTimeout)
        service.addService(redis)
        service.addReadinessCheck("redis") { _ = try await redis.ping() }

        let logger = service.context.logger
        let warmer = settings.warmupEnabled ? CacheWarmer(logger: logger) : nil
        let cacheBox = CacheReference()
        let breaker: CircuitBreaker<ContinuousClock>? =
            settings.breakerEnabled
            ? CircuitBreaker(name: "cache", configuration: settings.breaker) { from, to in
                logger.warning("circuit breaker 'cache': \(from) → \(to)")
                // The breaker is what notices that Redis is back: warm it up the moment it closes.
                if to == .closed, let warmer, let cache = cacheBox.cache {
                    Task { await warmer.warm(cache) }
                }
            }
            : nil
        let cache = CatalogCache(redis: redis, settings: settings, breaker: breaker)
        cacheBox.cache = cache
        let database = try CatalogDatabaseClient(service.context, settings: settings)

        service.router.get("/products/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            let key = "product:\(id)"
            switch await cache.read(key) {
            case .hit(let product):
                return .json(["product": product, "source": "cache"])
            case .miss:
                do {
                    let product = try await database.product(id, reason: .miss)
                    await cache.write(key, product)
                    return .json(["product": product, "source": "database"])
                } catch {
                    return .jsonError("cache miss, and the database failed: \(error)", status: .serviceUnavailable)
                }
            case .unavailable(let cacheError):
                guard settings.fallbackEnabled else {
                    return .jsonError("cache unavailable: \(cacheError)", status: .badGateway)
                }
                do {
                    let product = try await database.product(id, reason: .fallback)
                    warmer?.remember(key, product)
                    return .json(["product": product, "source": "database-fallback"])
                } catch {
                    return .jsonError("cache unavailable, and the database failed: \(error)", status: .serviceUnavailable)
                }
            }
        }
    }
}

/// Lets the breaker's transition handler (made before the cache) reach the cache it guards.
private final class CacheReference: @unchecked Sendable {
    // Written once during startup, before the first request; read-only afterwards.
    var cache: CatalogCache?
}
