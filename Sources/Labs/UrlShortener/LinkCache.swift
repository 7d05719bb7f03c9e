import LabKit

/// Redis in front of PostgreSQL: `link:{code}` → the long URL, with a TTL.
/// Counts every code looked up in `cache_lookups_total{result="hit|miss|error"}`.
struct LinkCache: Sendable {
    let redis: RedisClient
    let ttlMilliseconds: Int

    private static let hits = Counter(label: "cache_lookups_total", dimensions: [("result", "hit")])
    private static let misses = Counter(label: "cache_lookups_total", dimensions: [("result", "miss")])
    private static let errors = Counter(label: "cache_lookups_total", dimensions: [("result", "error")])

    /// Creates the series at zero, also when the cache is off, so every variant shows a line.
    static func registerMetrics() {
        for counter in [hits, misses, errors] { counter.increment(by: 0) }
    }

    static func key(_ code: String) -> String { "link:\(code)" }

    /// The cached URL of each code that is in Redis (one MGET). A Redis failure is counted and thrown.
    func lookup(_ codes: [String]) async throws -> [String: String] {
        guard !codes.isEmpty else { return [:] }
        do {
            let values = try await redis.mget(codes.map(Self.key))
            var found: [String: String] = [:]
            for (code, value) in zip(codes, values) {
                if let value { found[code] = value }
            }
            Self.hits.increment(by: found.count)
            Self.misses.increment(by: codes.count - found.count)
            return found
        } catch {
            Self.errors.increment(by: codes.count)
            throw error
        }
    }

    /// Writes every link (one pipeline of `SET link:{code} url PX ttl`). A later write for the same
    /// code replaces the earlier one: the cache believes whatever it was told last.
    func store(_ links: [Link]) async throws {
        guard !links.isEmpty else { return }
        let ttl = RedisArgument(ttlMilliseconds)
        let commands: [[RedisArgument]] = links.map { ["SET", RedisArgument(Self.key($0.code)), RedisArgument($0.url), "PX", ttl] }
        for reply in try await redis.pipeline(commands) {
            if case .error(let message) = reply { throw RedisError.server(message) }
        }
    }
}
