import LabKit
import Metrics

/// The Redis side: `product:{id}` → "version<TAB>price<TAB>name", with an absolute expiry, and
/// `product:{id}:gen`, a counter every invalidation increments (the fill guard below).
/// Counts every lookup in `cache_requests_total{result="hit|miss|error"}`.
struct ProductRowCache: Sendable {
    let redis: RedisClient

    private static let hits = Counter(label: "cache_requests_total", dimensions: [("result", "hit")])
    private static let misses = Counter(label: "cache_requests_total", dimensions: [("result", "miss")])
    private static let errors = Counter(label: "cache_requests_total", dimensions: [("result", "error")])
    private static let fillsRefused = Counter(label: "cache_fills_refused_total")

    /// Writes the row only if no invalidation happened since the reader looked (generation unchanged).
    private static let guardedFill = RedisScript(
        """
        if (redis.call('GET', KEYS[2]) or '') ~= ARGV[3] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
        return 1
        """)

    /// Creates the cache's series at zero, also when the cache is off, so `before` shows a flat 0.
    static func registerMetrics() {
        for counter in [hits, misses, errors, fillsRefused] { counter.increment(by: 0) }
    }

    static func key(_ id: Int) -> String { "product:\(id)" }
    static func generationKey(_ id: Int) -> String { "product:\(id):gen" }

    /// The cached row, nil on a miss. A Redis failure is counted and thrown: the caller decides.
    func lookup(_ id: Int) async throws -> CatalogProduct? {
        do {
            guard let text = try await redis.get(Self.key(id)), let product = Self.decode(id, text) else {
                Self.misses.increment()
                return nil
            }
            Self.hits.increment()
            return product
        } catch {
            Self.errors.increment()
            throw error
        }
    }

    /// The product's invalidation generation ("" when it was never invalidated): read BEFORE the
    /// database, passed back to `store(…, ifGeneration:)`.
    func generation(_ id: Int) async throws -> String {
        try await redis.get(Self.generationKey(id)) ?? ""
    }

    /// Stores a row until the wall-clock instant `expiresAtMilliseconds` (`PXAT`, Redis ≥ 6.2) — an
    /// absolute expiry, so the time spent reading the database counts against the TTL.
    /// With `ifGeneration`, the write is refused when an update invalidated the product since that
    /// generation was read: the row this reader holds may be older than the update.
    func store(_ product: CatalogProduct, expiresAtMilliseconds: Int, ifGeneration generation: String?) async throws {
        let value = RedisArgument("\(product.version)\t\(product.price)\t\(product.name)")
        guard let generation else {
            _ = try await redis.send("SET", RedisArgument(Self.key(product.id)), value, "PXAT", RedisArgument(expiresAtMilliseconds))
            return
        }
        let reply = try await redis.run(
            Self.guardedFill, keys: [Self.key(product.id), Self.generationKey(product.id)],
            args: [value, RedisArgument(expiresAtMilliseconds), RedisArgument(generation)])
        if case .integer(0) = reply { Self.fillsRefused.increment() }
    }

    /// After an update's commit: bump the generation (refusing in-flight fills) and delete the row.
    func invalidate(_ id: Int) async throws {
        _ = try await redis.pipeline([["INCR", RedisArgument(Self.generationKey(id))], ["DEL", RedisArgument(Self.key(id))]])
    }

    private static func decode(_ id: Int, _ text: String) -> CatalogProduct? {
        let parts = text.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let version = Int(parts[0]), let price = Double(parts[1]) else { return nil }
        return CatalogProduct(id: id, name: String(parts[2]), price: price, version: version)
    }
}
