// Typed helpers for hashes: a small record per key (a token bucket's tokens and timestamp, a lease's
// holder and expiry, per-field counters).

extension RedisClient {
    /// `HSET key field value ...`: how many fields were new.
    @discardableResult
    public func hset(_ key: String, _ fields: [(String, RedisArgument)]) async throws -> Int {
        guard !fields.isEmpty else { throw RedisError.invalidArgument("HSET needs at least one field") }
        var arguments: [RedisArgument] = ["HSET", RedisArgument(key)]
        for (name, value) in fields {
            arguments.append(RedisArgument(name))
            arguments.append(value)
        }
        return try await send(arguments).expectInteger("HSET")
    }

    /// `HGET key field`: nil when the field (or the key) does not exist.
    public func hget(_ key: String, _ field: String) async throws -> String? {
        try await send("HGET", RedisArgument(key), RedisArgument(field)).expectOptionalBytes("HGET")
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// `HMGET key field...`: one value (or nil) per field, in order.
    public func hmget(_ key: String, _ fields: [String]) async throws -> [String?] {
        guard !fields.isEmpty else { return [] }
        return try await send(["HMGET", RedisArgument(key)] + fields.map { RedisArgument($0) }).expectArray("HMGET").map {
            try $0.expectOptionalBytes("HMGET").map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// `HGETALL key`: every field and value (empty for a missing key).
    public func hgetall(_ key: String) async throws -> [String: String] {
        let flat = try await send("HGETALL", RedisArgument(key)).expectArray("HGETALL")
        guard flat.count % 2 == 0 else { throw RedisError.protocolError("HGETALL: an odd number of elements") }
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) {
            fields[try flat[index].expectString("HGETALL")] = try flat[index + 1].expectString("HGETALL")
        }
        return fields
    }

    /// `HINCRBY key field increment`: the field's new value (a missing field counts from 0).
    @discardableResult
    public func hincrBy(_ key: String, _ field: String, _ increment: Int) async throws -> Int {
        try await send("HINCRBY", RedisArgument(key), RedisArgument(field), RedisArgument(increment)).expectInteger("HINCRBY")
    }

    /// `HDEL key field...`: how many fields were removed.
    @discardableResult
    public func hdel(_ key: String, _ fields: [String]) async throws -> Int {
        guard !fields.isEmpty else { return 0 }
        return try await send(["HDEL", RedisArgument(key)] + fields.map { RedisArgument($0) }).expectInteger("HDEL")
    }

    /// `HLEN key`: the number of fields.
    public func hlen(_ key: String) async throws -> Int {
        try await send("HLEN", RedisArgument(key)).expectInteger("HLEN")
    }
}
