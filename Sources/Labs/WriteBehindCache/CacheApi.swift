import LabKit
import Metrics

/// KEY IDEA (the api's half): a write-behind cache answers a write as soon as Redis holds it — the
/// new value in the cache *and* an entry for the flusher, in one atomic script, so no crash can leave
/// one without the other. PostgreSQL is written later. That is why it is fast, and why everything
/// the lesson is about happens in the flusher: from the acknowledgement on, the write's only way to
/// the database is that queue entry.
///
///     PUT /items/{key}  (body: the value) → 200 {key, version, mode}
///     GET /items/{key}                    → the cached {value, version}, or 404
///
/// `WRITE_MODE=write-through` commits to PostgreSQL before answering instead (the baseline).
/// `cache_write_duration_seconds{mode}`: the time the write path took, without HTTP;
/// `database_commits_total`: PostgreSQL commits the write path made (write-through: one per write).
enum CacheApi {
    static let knobs: [any LabKnob] = [WriteMode.knob] + LabService.redisKnobs + LabPostgres.knobs
    static let maxValueBytes = 1_024

    /// The new version (HINCRBY), the value in the cache, and the entry for the flusher, in one step.
    static let queueOnList = RedisScript(
        """
        local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
        redis.call('HSET', KEYS[1], 'value', ARGV[2])
        redis.call('LPUSH', KEYS[2], version .. '|' .. ARGV[1] .. '|' .. ARGV[2])
        return version
        """)
    static let queueOnStream = RedisScript(
        """
        local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
        redis.call('HSET', KEYS[1], 'value', ARGV[2])
        redis.call('XADD', KEYS[2], '*', 'key', ARGV[1], 'version', version, 'value', ARGV[2])
        return version
        """)
    /// Write-through's cache update: only if the version is newer (two writes of a key may commit in
    /// one order and reach the cache in the other).
    static let setIfNewer = RedisScript(
        """
        local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
        if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'version', ARGV[1], 'value', ARGV[2]) end
        return current
        """)

    static func build(_ service: LabService) async throws {
        let mode = try service.knobs.read(WriteMode.knob)
        guard let redis = try service.redis() else { throw LabStartupError("the api needs REDIS_URL: the cache lives in Redis") }
        guard let db = try service.postgres() else { throw LabStartupError("the api needs DATABASE_URL: the items live in PostgreSQL") }
        let items = ItemRows(db: db)
        service.telemetry.registry.configureBuckets(forMetric: "cache_write_duration_seconds", RedisClient.durationBuckets)
        let duration = Timer(label: "cache_write_duration_seconds", dimensions: [("mode", mode.rawValue)])
        let writes = Counter(label: "cache_writes_total", dimensions: [("mode", mode.rawValue)])
        let commits = Counter(label: "database_commits_total") // PostgreSQL commits on the write path
        writes.increment(by: 0)
        commits.increment(by: 0)

        service.router.put("/items/:key") { request, context -> Response in
            guard let key = context.parameters.get("key"), isValidKey(key) else {
                return .jsonError("the key must be 1 to 64 letters, digits, '-' or '_'", status: .badRequest)
            }
            guard let body = try? await request.body.collect(upTo: maxValueBytes) else {
                return .jsonError("the value is longer than \(maxValueBytes) bytes", status: .contentTooLarge)
            }
            let value = String(buffer: body)
            guard !value.isEmpty else { return .jsonError("the body is the value: 1 to \(maxValueBytes) bytes", status: .badRequest) }
            let start = ContinuousClock.now
            let version: Int
            switch mode {
            case .behindList:
                version = try await expectVersion(
                    redis.run(queueOnList, keys: [CacheKeys.item(key), CacheKeys.list], args: [RedisArgument(key), RedisArgument(value)]))
            case .behindStream:
                version = try await expectVersion(
                    redis.run(
                        queueOnStream, keys: [CacheKeys.item(key), CacheKeys.stream], args: [RedisArgument(key), RedisArgument(value)]))
            case .writeThrough:
                version = try await items.writeThrough(key: key, value: value)
                commits.increment()
                try await redis.run(setIfNewer, keys: [CacheKeys.item(key)], args: [RedisArgument(version), RedisArgument(value)])
            }
            duration.recordInterval(since: start)
            writes.increment()
            return .json(["key": .string(key), "version": .number(Double(version)), "mode": .string(mode.rawValue)])
        }

        service.router.get("/items/:key") { _, context -> Response in
            guard let key = context.parameters.get("key"), isValidKey(key) else {
                return .jsonError("the key must be 1 to 64 letters, digits, '-' or '_'", status: .badRequest)
            }
            let fields = try await redis.hmget(CacheKeys.item(key), ["value", "version"])
            guard let value = fields.first ?? nil, let version = fields.last.flatMap({ $0 }).flatMap({ Int($0) }) else {
                return .jsonError("no item \(key) in the cache", status: .notFound)
            }
            return .json(["key": .string(key), "value": .string(value), "version": .number(Double(version))])
        }
    }

    static func isValidKey(_ key: String) -> Bool {
        (1...64).contains(key.utf8.count)
            && key.utf8.allSatisfy { byte in
                (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 95
            }
    }

    static func expectVersion(_ reply: RESPValue) throws -> Int {
        guard let version = reply.int else { throw LabStartupError("the write script answered \(reply), not a version") }
        return version
    }
}
