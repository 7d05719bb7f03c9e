// Typed helpers for lists: simple queues. LPUSH + RPOP is a queue that forgets an item the moment it
// is popped (a consumer that dies with it loses it); LMOVE/BLMOVE into a processing list, removed with
// LREM once done, is the reliable form. Streams with consumer groups do the same with more bookkeeping.

/// One end of a list.
public enum RedisListEnd: String, Sendable, Hashable {
    case left = "LEFT"
    case right = "RIGHT"
}

extension RedisClient {
    /// `LPUSH key value...`: the list's length afterwards.
    @discardableResult
    public func lpush(_ key: String, _ values: [RedisArgument]) async throws -> Int {
        guard !values.isEmpty else { throw RedisError.invalidArgument("LPUSH needs at least one value") }
        return try await send(["LPUSH", RedisArgument(key)] + values).expectInteger("LPUSH")
    }

    /// `RPUSH key value...`: the list's length afterwards.
    @discardableResult
    public func rpush(_ key: String, _ values: [RedisArgument]) async throws -> Int {
        guard !values.isEmpty else { throw RedisError.invalidArgument("RPUSH needs at least one value") }
        return try await send(["RPUSH", RedisArgument(key)] + values).expectInteger("RPUSH")
    }

    /// `LPOP key count`: up to `count` values from the left (empty when the list is empty or missing).
    public func lpop(_ key: String, count: Int = 1) async throws -> [String] {
        try Self.poppedValues(try await send("LPOP", RedisArgument(key), RedisArgument(count)), command: "LPOP")
    }

    /// `RPOP key count`: up to `count` values from the right.
    public func rpop(_ key: String, count: Int = 1) async throws -> [String] {
        try Self.poppedValues(try await send("RPOP", RedisArgument(key), RedisArgument(count)), command: "RPOP")
    }

    /// `LLEN key`.
    public func llen(_ key: String) async throws -> Int {
        try await send("LLEN", RedisArgument(key)).expectInteger("LLEN")
    }

    /// `LRANGE key start stop` (0-based, inclusive; -1 is the last).
    public func lrange(_ key: String, start: Int, stop: Int) async throws -> [String] {
        try await send("LRANGE", RedisArgument(key), RedisArgument(start), RedisArgument(stop))
            .expectArray("LRANGE").map { try $0.expectString("LRANGE") }
    }

    /// `LMOVE source destination from to`: atomically pops one value and pushes it onto another list
    /// (nil when `source` is empty).
    public func lmove(
        from source: String, _ sourceEnd: RedisListEnd, to destination: String, _ destinationEnd: RedisListEnd
    )
        async throws -> String?
    {
        try await send(
            "LMOVE", RedisArgument(source), RedisArgument(destination),
            RedisArgument(sourceEnd.rawValue), RedisArgument(destinationEnd.rawValue)
        ).expectOptionalBytes("LMOVE").map { String(decoding: $0, as: UTF8.self) }
    }

    /// `BLMOVE ... timeout`: like `lmove`, waiting up to `timeout` for a value (nil if none came). It holds
    /// one pooled connection while it waits and must end 250 ms before the client's command timeout.
    public func blmove(
        from source: String, _ sourceEnd: RedisListEnd, to destination: String, _ destinationEnd: RedisListEnd, timeout: Duration
    ) async throws -> String? {
        let milliseconds = try blockMilliseconds(timeout, command: "BLMOVE")
        return try await send(
            "BLMOVE", RedisArgument(source), RedisArgument(destination),
            RedisArgument(sourceEnd.rawValue), RedisArgument(destinationEnd.rawValue), RedisArgument(Double(milliseconds) / 1000)
        ).expectOptionalBytes("BLMOVE").map { String(decoding: $0, as: UTF8.self) }
    }

    /// `LREM key count value`: removes up to `count` occurrences (0: all); how many were removed.
    @discardableResult
    public func lrem(_ key: String, _ value: RedisArgument, count: Int = 1) async throws -> Int {
        try await send("LREM", RedisArgument(key), RedisArgument(count), value).expectInteger("LREM")
    }

    /// LPOP/RPOP with a count answer an array, or nil when there is nothing to pop.
    private static func poppedValues(_ reply: RESPValue, command: String) throws -> [String] {
        if reply.isNull { return [] }
        return try reply.expectArray(command).map { try $0.expectString(command) }
    }
}
