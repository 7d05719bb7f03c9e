import LabKit
import Metrics

/// KEY IDEA: cache-aside (lazy loading). The application, not the database, manages the cache: a read
/// looks in Redis first; on a miss it reads PostgreSQL and puts the row in Redis with a TTL; a write
/// goes to PostgreSQL and then DELETES the cached row, so the next read loads the new one. With skewed
/// (Zipf) traffic a few hot products take most reads, so a small cache absorbs most of the load and the
/// database sees only misses. The price is staleness: a reader that loaded the old row just before an
/// update can put it back after the delete. The fill guard (a generation checked when filling) refuses
/// such a write; the TTL bounds how long any stale row that slips through can live.
enum CacheAsideCatalog {
    static func build(_ service: LabService) async throws {
        let settings = try CacheAsideSettings(service.knobs)
        guard let db = try service.postgres() else { throw LabStartupError("DATABASE_URL is not set: the catalog needs PostgreSQL") }
        let store = CatalogProductStore(db: db, readCostSeconds: Double(settings.readCostMilliseconds) / 1000)
        ProductRowCache.registerMetrics()
        var cache: ProductRowCache?
        if settings.cacheEnabled {
            guard let redis = try service.redis() else { throw LabStartupError("CACHE=on needs REDIS_URL") }
            cache = ProductRowCache(redis: redis)
        }
        let checker = CacheStalenessChecker(ttlSeconds: Double(settings.ttlMilliseconds) / 1000)
        let logger = service.context.logger

        service.router.get("/products/:id") { [cache] _, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected a whole number", status: .badRequest)
            }
            let (found, source) = try await read(id, cache: cache, store: store, settings: settings)
            guard let product = found else { return .jsonError("no product \(id)", status: .notFound) }
            let staleSeconds = checker.check(id: id, returnedVersion: product.version)
            return .json(product.json(["source": .string(source), "stale_seconds": .number(staleSeconds)]))
        }

        service.router.put("/products/:id") { [cache] _, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected a whole number", status: .badRequest)
            }
            guard let product = try await store.reprice(id) else { return .jsonError("no product \(id)", status: .notFound) }
            checker.committed(id: id, version: product.version)
            if let cache, settings.invalidateOnUpdate {
                // After the commit, never before: deleting first lets a reader reload the old row.
                do { try await cache.invalidate(id) } catch { logger.warning("cache invalidation of product \(id) failed: \(error)") }
            }
            return .json(product.json())
        }
    }

    /// The cache-aside read. Returns the product (nil: none) and where it came from: `cache`, `database`
    /// (a miss, now cached) or `database-only` (no cache, or the cache failed).
    static func read(
        _ id: Int, cache: ProductRowCache?, store: CatalogProductStore, settings: CacheAsideSettings
    ) async throws -> (CatalogProduct?, String) {
        guard let cache else { return (try await store.product(id), "database-only") }
        // 1. The cache. If Redis fails, the database still answers: the cache is an optimisation.
        var generation: String?
        do {
            if let cached = try await cache.lookup(id) { return (cached, "cache") }
            if settings.fillGuard { generation = try await cache.generation(id) }
        } catch {
            return (try await store.product(id), "database-only")
        }
        // 2. A miss: the database. The TTL counts from HERE, before the read, not from the SET below, so a
        //    row that was already old when it reached Redis cannot outlive the TTL.
        let expiresAt = Int((CacheStalenessChecker.wallClockSeconds() * 1000).rounded(.down)) + settings.ttlMilliseconds
        guard let product = try await store.product(id) else { return (nil, "database") }
        // 3. Fill the cache for the next reader — unless (fill guard) an update invalidated this product
        //    while we were reading: our row may predate it, and writing it back would undo the delete.
        try? await cache.store(product, expiresAtMilliseconds: expiresAt, ifGeneration: generation)
        return (product, "database")
    }
}
