import LabKit

/// Resolving codes for redirects, cache-aside: Redis first; the codes it does not hold are read from
/// PostgreSQL in one query and written back to Redis for the next reader.
struct ResolveLinks: Sendable {
    let store: LinkStore
    let cache: LinkCache?
    let logger: Logger

    /// The URL of each code that exists (codes that do not are absent).
    /// `bypassCache`: read PostgreSQL and leave Redis alone (a request with `Cache-Control: no-cache`).
    func resolve(_ codes: [String], bypassCache: Bool = false) async throws -> [String: String] {
        guard let cache, !bypassCache else { return try await store.lookup(codes) }
        // 1. Redis. If it fails, PostgreSQL still answers: the cache is an optimisation, not the truth.
        var found: [String: String]
        do {
            found = try await cache.lookup(codes)
        } catch {
            logger.warning("cache lookup failed, reading PostgreSQL: \(error)")
            return try await store.lookup(codes)
        }
        // 2. The misses, from PostgreSQL, in one query.
        let missing = codes.filter { found[$0] == nil }
        guard !missing.isEmpty else { return found }
        let loaded = try await store.lookup(missing)
        // 3. Fill the cache for the next reader; a failed fill only costs the next reader a miss.
        do {
            try await cache.store(loaded.map { Link(code: $0.key, url: $0.value) })
        } catch {
            logger.warning("cache fill failed: \(error)")
        }
        found.merge(loaded) { cached, _ in cached }
        return found
    }
}
