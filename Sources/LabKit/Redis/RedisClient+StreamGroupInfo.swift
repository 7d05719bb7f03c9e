// What a consumer group looks like from outside: XINFO GROUPS (per group: consumers, pending entries,
// lag), XINFO CONSUMERS (per consumer: its pending entries, how long since it was last seen), and
// XGROUP DELCONSUMER to forget a consumer that died once its pending entries were claimed. The
// write-behind lab watches its flusher's backlog and cleans up after a crashed flusher with these.

/// One consumer group of a stream, as XINFO GROUPS reports it.
public struct RedisStreamGroupInfo: Sendable, Hashable {
    public var name: String
    /// Consumers the group knows, live or not (a consumer is forgotten only by XGROUP DELCONSUMER).
    public var consumers: Int
    /// Entries delivered to a consumer and not acknowledged yet.
    public var pending: Int
    public var lastDeliveredID: RedisStreamID?
    /// Entries of the stream not delivered to the group yet; nil when Redis cannot tell (after XDEL
    /// or a trim of entries the group had not read, Redis 7 reports the lag as unknown).
    public var lag: Int?
}

/// One consumer of a group, as XINFO CONSUMERS reports it.
public struct RedisStreamConsumerInfo: Sendable, Hashable {
    public var name: String
    /// Entries delivered to this consumer and not acknowledged yet.
    public var pending: Int
    /// Time since this consumer last read or claimed (Redis: `idle`).
    public var idle: Duration
}

extension RedisClient {
    /// `XINFO GROUPS key`: every consumer group of the stream. Throws when the key does not exist.
    public func xinfoGroups(_ key: String) async throws -> [RedisStreamGroupInfo] {
        try await send("XINFO", "GROUPS", RedisArgument(key)).expectArray("XINFO GROUPS").map { group in
            let fields = try Self.fieldMap(group, command: "XINFO GROUPS")
            guard let name = fields["name"]?.string, let consumers = fields["consumers"]?.int, let pending = fields["pending"]?.int
            else { throw RedisError.unexpected(group, from: "XINFO GROUPS", expected: "name, consumers, pending") }
            return RedisStreamGroupInfo(
                name: name, consumers: consumers, pending: pending,
                lastDeliveredID: fields["last-delivered-id"]?.string.flatMap(RedisStreamID.init), lag: fields["lag"]?.int)
        }
    }

    /// `XINFO CONSUMERS key group`: the group's consumers with their pending counts.
    public func xinfoConsumers(_ key: String, group: String) async throws -> [RedisStreamConsumerInfo] {
        try await send("XINFO", "CONSUMERS", RedisArgument(key), RedisArgument(group)).expectArray("XINFO CONSUMERS").map { consumer in
            let fields = try Self.fieldMap(consumer, command: "XINFO CONSUMERS")
            guard let name = fields["name"]?.string, let pending = fields["pending"]?.int, let idle = fields["idle"]?.int else {
                throw RedisError.unexpected(consumer, from: "XINFO CONSUMERS", expected: "name, pending, idle")
            }
            return RedisStreamConsumerInfo(name: name, pending: pending, idle: .milliseconds(idle))
        }
    }

    /// `XGROUP DELCONSUMER key group consumer`: forgets the consumer and returns how many entries it
    /// still had pending — those are dropped from the pending list with it (never acknowledged, never
    /// delivered again), so claim them first (XAUTOCLAIM) and delete only a consumer with 0 pending.
    @discardableResult
    public func xgroupDelConsumer(_ key: String, group: String, consumer: String) async throws -> Int {
        try await send("XGROUP", "DELCONSUMER", RedisArgument(key), RedisArgument(group), RedisArgument(consumer))
            .expectInteger("XGROUP DELCONSUMER")
    }

    /// A RESP2 `[name, value, name, value, ...]` reply as a dictionary.
    static func fieldMap(_ reply: RESPValue, command: String) throws -> [String: RESPValue] {
        let flat = try reply.expectArray(command)
        guard flat.count % 2 == 0 else { throw RedisError.unexpected(reply, from: command, expected: "name/value pairs") }
        var fields: [String: RESPValue] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) {
            fields[try flat[index].expectString(command)] = flat[index + 1]
        }
        return fields
    }
}
