// Typed helpers for bitmaps (SETBIT/GETBIT/BITCOUNT/BITFIELD): Bloom filters, presence bitmaps,
// packed small counters.

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

    /// `BITFIELD_RO key GET type offset ...`: the read-only form (allowed on replicas, never writes),
    /// one value per read.
    public func bitfieldReadOnly(_ key: String, _ reads: [(RedisBitfieldType, RedisBitfieldOffset)]) async throws -> [Int] {
        guard !reads.isEmpty else { return [] }
        let arguments = reads.flatMap { type, offset in ["GET", type.argument, offset.argument] as [RedisArgument] }
        return try await send(["BITFIELD_RO", RedisArgument(key)] + arguments).expectArray("BITFIELD_RO").map {
            try $0.expectInteger("BITFIELD_RO")
        }
    }

    /// `GETBIT` of many offsets in one round trip (`BITFIELD_RO key GET u1 o1 GET u1 o2 ...`): a Bloom
    /// filter's k probes.
    public func getbits(_ key: String, offsets: [Int]) async throws -> [Bool] {
        try await bitfieldReadOnly(key, offsets.map { (.unsigned(1), .bit($0)) }).map { $0 == 1 }
    }

    /// Sets many bits to 1 in one command (`BITFIELD key SET u1 o1 1 ...`); returns each bit's previous value.
    @discardableResult
    public func setbits(_ key: String, offsets: [Int]) async throws -> [Bool] {
        guard !offsets.isEmpty else { return [] }
        return try await bitfield(key, offsets.map { .set(.unsigned(1), at: .bit($0), value: 1) }).map { $0 == 1 }
    }

    /// `BITCOUNT key`: how many bits are 1 (0 for a missing key).
    public func bitcount(_ key: String) async throws -> Int {
        try await send("BITCOUNT", RedisArgument(key)).expectInteger("BITCOUNT")
    }
}
