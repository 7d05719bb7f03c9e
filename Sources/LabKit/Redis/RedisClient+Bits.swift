// Typed helpers for bitmaps (SETBIT/GETBIT/BITFIELD) and HyperLogLog (PFADD/PFCOUNT):
// the probabilistic-counting and bloom-filter labs.

/// A BITFIELD integer type: `u8`, `i16`, ...
public struct RedisBitfieldType: Sendable, Hashable {
    public var isSigned: Bool
    public var bits: Int
    public static func signed(_ bits: Int) -> RedisBitfieldType { .init(isSigned: true, bits: bits) }
    public static func unsigned(_ bits: Int) -> RedisBitfieldType { .init(isSigned: false, bits: bits) }
    var argument: RedisArgument { RedisArgument((isSigned ? "i" : "u") + String(bits)) }
}

/// Where a BITFIELD integer starts: at a bit offset, or at the n-th integer of its type (`#n`).
public enum RedisBitfieldOffset: Sendable, Hashable {
    case bit(Int)
    case index(Int)
    var argument: RedisArgument {
        switch self {
        case .bit(let offset): return RedisArgument(offset)
        case .index(let index): return RedisArgument("#" + String(index))
        }
    }
}

/// One BITFIELD sub-command.
public enum RedisBitfieldOperation: Sendable, Hashable {
    public enum Overflow: String, Sendable { case wrap = "WRAP", saturate = "SAT", fail = "FAIL" }

    case get(RedisBitfieldType, at: RedisBitfieldOffset)
    case set(RedisBitfieldType, at: RedisBitfieldOffset, value: Int)
    case incrBy(RedisBitfieldType, at: RedisBitfieldOffset, increment: Int)
    /// Changes overflow handling for the INCRBY/SET operations after it; it has no reply of its own.
    case overflow(Overflow)

    var arguments: [RedisArgument] {
        switch self {
        case .get(let type, let offset): return ["GET", type.argument, offset.argument]
        case .set(let type, let offset, let value): return ["SET", type.argument, offset.argument, RedisArgument(value)]
        case .incrBy(let type, let offset, let increment):
            return ["INCRBY", type.argument, offset.argument, RedisArgument(increment)]
        case .overflow(let mode): return ["OVERFLOW", RedisArgument(mode.rawValue)]
        }
    }
}

extension RedisClient {
    /// `SETBIT key offset 0|1`: the bit's previous value.
    @discardableResult
    public func setbit(_ key: String, offset: Int, to bit: Bool) async throws -> Bool {
        try await send("SETBIT", RedisArgument(key), RedisArgument(offset), RedisArgument(bit ? 1 : 0))
            .expectInteger("SETBIT") == 1
    }

    /// `GETBIT key offset` (false beyond the end of the string, or for a missing key).
    public func getbit(_ key: String, offset: Int) async throws -> Bool {
        try await send("GETBIT", RedisArgument(key), RedisArgument(offset)).expectInteger("GETBIT") == 1
    }

    /// `BITFIELD key op...`: one result per GET/SET/INCRBY (SET returns the old value); nil where
    /// OVERFLOW FAIL refused an increment.
    @discardableResult
    public func bitfield(_ key: String, _ operations: [RedisBitfieldOperation]) async throws -> [Int?] {
        let reply = try await send(["BITFIELD", RedisArgument(key)] + operations.flatMap(\.arguments))
        return try reply.expectArray("BITFIELD").map { element in
            element.isNull ? nil : try element.expectInteger("BITFIELD")
        }
    }

    /// `PFADD key element...`: true when the HyperLogLog's estimate changed.
    @discardableResult
    public func pfadd(_ key: String, _ elements: [String]) async throws -> Bool {
        try await send(["PFADD", RedisArgument(key)] + elements.map { RedisArgument($0) }).expectInteger("PFADD") == 1
    }

    /// `PFCOUNT key...`: the estimated number of distinct elements (of the union, for several keys).
    public func pfcount(_ keys: String...) async throws -> Int {
        try await send(["PFCOUNT"] + keys.map { RedisArgument($0) }).expectInteger("PFCOUNT")
    }
}
