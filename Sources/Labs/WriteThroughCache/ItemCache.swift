import LabKit

/// The Redis side: one string per item, `item:<id>` = "<version>|<value>", expiring after `ttl`
/// (every write of the entry starts its time again; a read does not). The versioned strategy adds
/// `item:<id>:version`, the highest version ever cached, which does NOT expire: a version check
/// against an entry that has just expired would let any old row back in, so the version must
/// outlive the value (a few bytes per item).
struct ItemCache: Sendable {
    let redis: RedisClient
    let ttl: Duration

    /// What a "set if newer" did.
    enum Outcome: Sendable {
        case written
        /// The cache already holds this version (another filler was first): nothing to do.
        case current
        /// The cache held a NEWER version: writing would have put an old row over it.
        case refused
    }

    private static func key(_ id: Int) -> String { "item:\(id)" }
    private static func versionKey(_ id: Int) -> String { "item:\(id):version" }
    private static func encode(_ item: Item) -> RedisArgument { RedisArgument("\(item.version)|\(item.value)") }
    private var ttlArgument: RedisArgument {
        RedisArgument(max(1, Int(ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)))
    }

    /// The cached item, or nil on a miss.
    func get(_ id: Int) async throws -> Item? {
        guard let text = try await redis.get(Self.key(id)) else { return nil }
        let parts = text.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        guard let version = Int(parts[0]) else { return nil }
        return Item(version: version, value: parts.count > 1 ? String(parts[1]) : "")
    }

    /// A blind overwrite: whoever writes last wins, whatever version they hold.
    func set(_ id: Int, _ item: Item) async throws {
        try await redis.send("SET", RedisArgument(Self.key(id)), Self.encode(item), "PX", ttlArgument)
    }

    func delete(_ id: Int) async throws {
        try await redis.del(Self.key(id))
    }

    /// Writes the item unless a newer version was cached before (even if that entry has expired).
    /// Redis runs a script atomically, so nobody can slip a write between the compare and the set.
    func setIfNewer(_ id: Int, _ item: Item) async throws -> Outcome {
        let reply = try await redis.run(
            Self.setIfNewerScript, keys: [Self.key(id), Self.versionKey(id)],
            args: [RedisArgument(item.version), Self.encode(item), ttlArgument])
        switch reply.int {
        case 1: return .written
        case 0: return .current
        default: return .refused
        }
    }

    /// KEYS = item:<id>, item:<id>:version; ARGV = version, "<version>|<value>", ttl in ms.
    /// Returns 1 written, 0 this version is already cached, -1 refused (a newer version was cached).
    /// The cached entry's version always equals the version key, which only goes up.
    private static let setIfNewerScript = RedisScript(
        """
        local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
        local incoming = tonumber(ARGV[1])
        if incoming < newest then return -1 end
        if incoming == newest and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        redis.call('SET', KEYS[2], ARGV[1])
        return 1
        """)
}
