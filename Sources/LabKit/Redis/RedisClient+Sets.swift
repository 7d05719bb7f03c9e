// Typed helpers for sets: exact membership and exact distinct counts (what a HyperLogLog estimates),
// unions and intersections.

extension RedisClient {
    /// `SADD key member...`: how many members were new.
    @discardableResult
    public func sadd(_ key: String, _ members: [String]) async throws -> Int {
        guard !members.isEmpty else { return 0 }
        return try await send(["SADD", RedisArgument(key)] + members.map { RedisArgument($0) }).expectInteger("SADD")
    }

    /// `SREM key member...`: how many members were removed.
    @discardableResult
    public func srem(_ key: String, _ members: [String]) async throws -> Int {
        guard !members.isEmpty else { return 0 }
        return try await send(["SREM", RedisArgument(key)] + members.map { RedisArgument($0) }).expectInteger("SREM")
    }

    /// `SCARD key`: the number of members (0 for a missing key).
    public func scard(_ key: String) async throws -> Int {
        try await send("SCARD", RedisArgument(key)).expectInteger("SCARD")
    }

    /// `SISMEMBER key member`.
    public func sismember(_ key: String, _ member: String) async throws -> Bool {
        try await send("SISMEMBER", RedisArgument(key), RedisArgument(member)).expectInteger("SISMEMBER") == 1
    }

    /// `SMISMEMBER key member...`: one answer per member, in order.
    public func smismember(_ key: String, _ members: [String]) async throws -> [Bool] {
        guard !members.isEmpty else { return [] }
        return try await send(["SMISMEMBER", RedisArgument(key)] + members.map { RedisArgument($0) })
            .expectArray("SMISMEMBER").map { try $0.expectInteger("SMISMEMBER") == 1 }
    }

    /// `SMEMBERS key`: every member, in no particular order (all of them in one reply: small sets only).
    public func smembers(_ key: String) async throws -> [String] {
        try await send("SMEMBERS", RedisArgument(key)).expectArray("SMEMBERS").map { try $0.expectString("SMEMBERS") }
    }

    /// `SUNIONSTORE destination key...`: stores the union in `destination` (replacing it) and returns its
    /// size. It copies every member: time and memory grow with the union.
    @discardableResult
    public func sunionstore(into destination: String, from keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { throw RedisError.invalidArgument("SUNIONSTORE needs at least one source key") }
        return try await send(["SUNIONSTORE", RedisArgument(destination)] + keys.map { RedisArgument($0) })
            .expectInteger("SUNIONSTORE")
    }
}
