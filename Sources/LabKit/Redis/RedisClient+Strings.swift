// Typed helpers for string values and key lifetimes: GET, SET, MGET, DEL, INCR, EXPIRE, TTL.

/// How long a value set with SET lives.
public enum RedisExpiration: Sendable, Hashable {
    case seconds(Int) // EX
    case milliseconds(Int) // PX
    case keepTTL // KEEPTTL: overwrite the value, keep the existing expiry

    /// PX for any `Duration` (rounded down to whole milliseconds, at least 1).
    public static func after(_ duration: Duration) -> RedisExpiration {
        let (seconds, attoseconds) = duration.components
        return .milliseconds(max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)))
    }

    var arguments: [RedisArgument] {
        switch self {
        case .seconds(let n): return ["EX", RedisArgument(n)]
        case .milliseconds(let n): return ["PX", RedisArgument(n)]
        case .keepTTL: return ["KEEPTTL"]
        }
    }
}

/// When SET (or ZADD) should write.
public enum RedisSetCondition: Sendable, Hashable {
    case always
    case ifNotExists // NX: a lock, an idempotency key
    case ifExists // XX

    var arguments: [RedisArgument] {
        switch self {
        case .always: return []
        case .ifNotExists: return ["NX"]
        case .ifExists: return ["XX"]
        }
    }
}

extension RedisClient {
    /// `PING`: "PONG" when the server is reachable.
    @discardableResult
    public func ping() async throws -> String {
        try await send("PING").expectString("PING")
    }

    /// `GET key` as text; nil when the key does not exist.
    public func get(_ key: String) async throws -> String? {
        try await send("GET", RedisArgument(key)).expectOptionalBytes("GET").map { String(decoding: $0, as: UTF8.self) }
    }

    /// `GET key` as raw bytes; nil when the key does not exist.
    public func getBytes(_ key: String) async throws -> [UInt8]? {
        try await send("GET", RedisArgument(key)).expectOptionalBytes("GET")
    }

    /// `SET key value [EX|PX|KEEPTTL] [NX|XX]`. Returns whether the value was written
    /// (false only when NX/XX prevented it).
    @discardableResult
    public func set(
        _ key: String, to value: RedisArgument,
        expiration: RedisExpiration? = nil, condition: RedisSetCondition = .always
    ) async throws -> Bool {
        let reply = try await send(setArguments(key, value, expiration, condition))
        switch reply {
        case .status: return true
        case .null: return false
        default: throw RedisError.unexpected(reply, from: "SET", expected: "OK or nil")
        }
    }

    /// `SET key value ... GET`: writes (subject to NX/XX) and returns the previous value, or nil
    /// when there was none.
    public func setReturningPrevious(
        _ key: String, to value: RedisArgument,
        expiration: RedisExpiration? = nil, condition: RedisSetCondition = .always
    ) async throws -> String? {
        let reply = try await send(setArguments(key, value, expiration, condition) + ["GET"])
        return try reply.expectOptionalBytes("SET GET").map { String(decoding: $0, as: UTF8.self) }
    }

    private func setArguments(
        _ key: String, _ value: RedisArgument, _ expiration: RedisExpiration?, _ condition: RedisSetCondition
    ) -> [RedisArgument] {
        ["SET", RedisArgument(key), value] + (expiration?.arguments ?? []) + condition.arguments
    }

    /// `MGET key...`: one value (or nil) per key, in order.
    public func mget(_ keys: [String]) async throws -> [String?] {
        guard !keys.isEmpty else { return [] }
        let reply = try await send(["MGET"] + keys.map { RedisArgument($0) })
        return try reply.expectArray("MGET").map { element in
            try element.expectOptionalBytes("MGET").map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// `DEL key...`: how many keys existed and were removed.
    @discardableResult
    public func del(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await send(["DEL"] + keys.map { RedisArgument($0) }).expectInteger("DEL")
    }

    @discardableResult
    public func del(_ keys: String...) async throws -> Int { try await del(keys) }

    /// `INCR key`: the value after incrementing (a missing key counts from 0).
    @discardableResult
    public func incr(_ key: String) async throws -> Int {
        try await send("INCR", RedisArgument(key)).expectInteger("INCR")
    }

    /// `INCRBY key increment`.
    @discardableResult
    public func incrBy(_ key: String, _ increment: Int) async throws -> Int {
        try await send("INCRBY", RedisArgument(key), RedisArgument(increment)).expectInteger("INCRBY")
    }

    /// `EXPIRE key seconds`: false when the key does not exist.
    @discardableResult
    public func expire(_ key: String, seconds: Int) async throws -> Bool {
        try await send("EXPIRE", RedisArgument(key), RedisArgument(seconds)).expectInteger("EXPIRE") == 1
    }

    /// `PEXPIRE key milliseconds`: false when the key does not exist.
    @discardableResult
    public func pexpire(_ key: String, milliseconds: Int) async throws -> Bool {
        try await send("PEXPIRE", RedisArgument(key), RedisArgument(milliseconds)).expectInteger("PEXPIRE") == 1
    }

    /// `TTL key` in seconds: -1 when the key has no expiry, -2 when it does not exist.
    public func ttl(_ key: String) async throws -> Int {
        try await send("TTL", RedisArgument(key)).expectInteger("TTL")
    }

    /// `PTTL key` in milliseconds: -1 when the key has no expiry, -2 when it does not exist.
    public func pttl(_ key: String) async throws -> Int {
        try await send("PTTL", RedisArgument(key)).expectInteger("PTTL")
    }
}

// MARK: - Shared by the typed helpers

extension RedisClient {
    /// A duration in whole milliseconds (rounded down, never negative): what PX, BLOCK and PEXPIRE take.
    public static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// A blocking command's wait in milliseconds, refused when the socket's command timeout would cut
    /// it short (the connection would then be dropped as timed out instead of returning "nothing new").
    func blockMilliseconds(_ block: Duration, command: String) throws -> Int {
        guard block + .milliseconds(250) <= configuration.commandTimeout else {
            throw RedisError.invalidArgument(
                "\(command) waiting \(Self.milliseconds(block)) ms: the wait must be at least 250 ms shorter than the client's "
                    + "command timeout (\(Self.milliseconds(configuration.commandTimeout)) ms)")
        }
        return max(1, Self.milliseconds(block))
    }
}

extension RedisError {
    static func unexpected(_ reply: RESPValue, from command: String, expected: String) -> RedisError {
        .protocolError("\(command): expected \(expected), got \(reply)")
    }
}

extension RESPValue {
    func expectInteger(_ command: String) throws -> Int {
        guard case .integer(let value) = self else {
            throw RedisError.unexpected(self, from: command, expected: "an integer")
        }
        return value
    }

    func expectString(_ command: String) throws -> String {
        guard let text = string else { throw RedisError.unexpected(self, from: command, expected: "a string") }
        return text
    }

    func expectOptionalBytes(_ command: String) throws -> [UInt8]? {
        switch self {
        case .bytes(let bytes): return bytes
        case .null: return nil
        default: throw RedisError.unexpected(self, from: command, expected: "a bulk string or nil")
        }
    }

    func expectDouble(_ command: String) throws -> Double {
        guard let value = double else { throw RedisError.unexpected(self, from: command, expected: "a number") }
        return value
    }

    func expectArray(_ command: String) throws -> [RESPValue] {
        guard case .array(let elements) = self else {
            throw RedisError.unexpected(self, from: command, expected: "an array")
        }
        return elements
    }
}
