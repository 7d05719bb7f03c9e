import LabKit

/// Week 5's cache-aside `LinkCache`, spread over several Redis servers: a code lives on the shard the
/// consistent-hash ring (LabKit's `ConsistentHashRing`, week 43) names for it. Every replica builds the
/// same ring from the same shard names, so all three agree where a code is without asking each other,
/// and adding a fourth shard would move only about a quarter of the codes.
struct ShardedLinkCache: Sendable {
    let ring: ConsistentHashRing<String>
    let shards: [String: LinkCache]

    /// `shards`: name → cache, e.g. `cache-1` → the LinkCache on CACHE_1_URL.
    init(shards: [String: LinkCache], virtualNodes: Int = 150) {
        self.shards = shards
        self.ring = ConsistentHashRing(virtualNodes: virtualNodes, nodes: shards.keys.sorted())
    }

    /// The shard that holds `code`.
    func shardName(for code: String) -> String {
        guard let name = ring.node(for: code) else { preconditionFailure("a sharded cache needs at least one shard") }
        return name
    }

    func lookup(_ code: String) async throws -> String? {
        try await shards[shardName(for: code)]!.lookup([code])[code]
    }

    func store(_ link: Link) async throws {
        try await shards[shardName(for: link.code)]!.store([link])
    }

    /// The cache shards from the environment: every `CACHE_<n>_URL` (one per `kind: redis, name: cache-<n>`).
    static func shardURLs(_ environment: [String: String]) -> [String: String] {
        var found: [String: String] = [:]
        for (key, value) in environment where key.hasPrefix("CACHE_") && key.hasSuffix("_URL") && !value.isEmpty {
            let middle = key.dropFirst("CACHE_".count).dropLast("_URL".count)
            guard !middle.isEmpty, middle.allSatisfy(\.isNumber) else { continue }
            found["cache-\(middle)"] = value
        }
        return found
    }
}
