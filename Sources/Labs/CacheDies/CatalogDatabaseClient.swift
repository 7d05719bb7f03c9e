import LabKit

/// The catalog's calls to the database, optionally behind a concurrency limit (LabKit's bulkhead,
/// `name="database"`): at most `DB_LIMIT` queries in flight, so however many requests miss the cache
/// at once, the database never sees more than it can serve; the rest wait here, in a bounded queue.
///
/// Queries are counted by why they were made: `catalog_db_queries_total{reason="miss|fallback"}`.
struct CatalogDatabaseClient: Sendable {
    enum Reason: String { case miss, fallback }

    let peer: PeerClient
    let limit: Bulkhead<ContinuousClock>?
    private let queries: [String: Counter]

    init(_ context: LabContext, settings: CacheDiesSettings) throws {
        peer = try context.peer("db", timeout: settings.databaseTimeout)
        limit =
            settings.databaseLimit > 0
            ? Bulkhead(
                name: "database",
                configuration: .init(
                    maxConcurrentCalls: settings.databaseLimit, maxWaitDuration: settings.databaseLimitWait,
                    maxQueueLength: settings.databaseLimitQueue),
                clock: ContinuousClock())
            : nil
        var queries: [String: Counter] = [:]
        for reason in ["miss", "fallback"] {
            queries[reason] = Counter(label: "catalog_db_queries_total", dimensions: [("reason", reason)])
        }
        self.queries = queries
    }

    func product(_ id: String, reason: Reason) async throws -> JSONValue {
        @Sendable func query() async throws -> JSONValue {
            queries[reason.rawValue]?.increment()
            let reply = try await peer.get("/products/\(id)", route: "/products/{id}")
            guard reply.isSuccess else { throw CatalogDatabaseError(status: reply.status) }
            return reply.json
        }
        guard let limit else { return try await query() }
        return try await limit.execute { try await query() }
    }
}

struct CatalogDatabaseError: Error, CustomStringConvertible {
    let status: Int
    var description: String { "database answered \(status)" }
}
