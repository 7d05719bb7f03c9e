// Streams with consumer groups: an append-only log that several consumers share, where every entry
// handed to a consumer stays *pending* until it is acknowledged (XACK), and pending entries of a
// consumer that died can be claimed by another (XCLAIM / XAUTOCLAIM). The write-behind and queue labs.

/// A stream entry id, `<milliseconds>-<sequence>`. Ids order entries: compare them as values, never as
/// text ("9-0" < "10-0", but not as strings).
public struct RedisStreamID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init(milliseconds: UInt64, sequence: UInt64 = 0) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `1700000000000-3` (a bare `1700000000000` means sequence 0).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let milliseconds = UInt64(parts[0]) else { return nil }
        var sequence: UInt64 = 0
        if parts.count == 2 {
            guard let parsed = UInt64(parts[1]) else { return nil }
            sequence = parsed
        }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    /// The smallest id, `0-0`.
    public static let zero = RedisStreamID(milliseconds: 0)

    public var description: String { "\(milliseconds)-\(sequence)" }

    public static func < (lhs: RedisStreamID, rhs: RedisStreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }

    var argument: RedisArgument { RedisArgument(description) }
}

/// One entry of a stream: its id and its field/value pairs in the order they were added.
/// An entry that was deleted (XDEL, or trimmed) while pending comes back from XREADGROUP/XCLAIM
/// with no fields: `isDeleted`. (XADD needs at least one field, so a live entry always has some.)
public struct RedisStreamEntry: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public var id: RedisStreamID
    public var fields: [Field]

    public init(id: RedisStreamID, fields: [Field]) {
        self.id = id
        self.fields = fields
    }

    /// The value of the first field with this name.
    public subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    public var isDeleted: Bool { fields.isEmpty }
}

/// Where XADD puts the new entry: a server-generated id (`*`), or an explicit one.
public enum RedisStreamInsertID: Sendable, Hashable {
    case auto
    case explicit(RedisStreamID)

    var argument: RedisArgument {
        switch self {
        case .auto: return "*"
        case .explicit(let id): return id.argument
        }
    }
}

/// How XADD (or XTRIM) caps a stream's length: `MAXLEN ~ n` (approximate, cheap) or `MAXLEN n` (exact).
public struct RedisStreamTrim: Sendable, Hashable {
    public var maxLength: Int
    public var approximate: Bool
    public static func maxLength(_ count: Int, approximate: Bool = true) -> RedisStreamTrim {
        RedisStreamTrim(maxLength: count, approximate: approximate)
    }
    var arguments: [RedisArgument] { ["MAXLEN"] + (approximate ? ["~"] : []) + [RedisArgument(maxLength)] }
}

/// Where XREADGROUP starts: new entries never delivered to the group (`>`), or this consumer's own
/// pending entries from an id on (`0` = all of them: what a consumer re-reads after a restart).
public enum RedisStreamReadPosition: Sendable, Hashable {
    case newEntries
    case pending(after: RedisStreamID)

    public static let allPending = RedisStreamReadPosition.pending(after: .zero)

    var argument: RedisArgument {
        switch self {
        case .newEntries: return ">"
        case .pending(let id): return id.argument
        }
    }
}

/// XPENDING's summary of a group: how many entries are delivered but not acknowledged, and by whom.
public struct RedisStreamPendingSummary: Sendable, Hashable {
    public var count: Int
    public var smallestID: RedisStreamID?
    public var greatestID: RedisStreamID?
    /// Pending entries per consumer name.
    public var consumers: [String: Int]
}

/// One pending entry in XPENDING's extended form.
public struct RedisStreamPendingEntry: Sendable, Hashable {
    public var id: RedisStreamID
    public var consumer: String
    /// Time since the entry was last delivered (to anyone).
    public var idle: Duration
    /// How many times it was delivered: above 1 means a consumer got it again after a claim or re-read.
    public var deliveries: Int
}

/// What XAUTOCLAIM hands back: the entries now owned by the claiming consumer, where the next scan
/// starts (`.zero` when the whole pending list was scanned), and ids that were pending but deleted
/// from the stream (they are removed from the pending list; there is nothing to process).
public struct RedisStreamAutoClaim: Sendable, Hashable {
    public var nextStart: RedisStreamID
    public var claimed: [RedisStreamEntry]
    public var deletedIDs: [RedisStreamID]
}

extension RedisClient {
    /// `XADD key [MAXLEN [~] n] id field value ...`: the new entry's id.
    @discardableResult
    public func xadd(
        _ key: String, id: RedisStreamInsertID = .auto, fields: [(String, RedisArgument)], trim: RedisStreamTrim? = nil
    ) async throws -> RedisStreamID {
        guard !fields.isEmpty else { throw RedisError.invalidArgument("XADD needs at least one field") }
        var arguments: [RedisArgument] = ["XADD", RedisArgument(key)] + (trim?.arguments ?? []) + [id.argument]
        for (name, value) in fields {
            arguments.append(RedisArgument(name))
            arguments.append(value)
        }
        return try Self.streamID(try await send(arguments), command: "XADD")
    }

    /// `XLEN key`: the number of entries (0 for a missing key).
    public func xlen(_ key: String) async throws -> Int {
        try await send("XLEN", RedisArgument(key)).expectInteger("XLEN")
    }

    /// `XRANGE key start end [COUNT n]`: entries from `start` to `end` inclusive (nil: from the first /
    /// to the last).
    public func xrange(
        _ key: String, from start: RedisStreamID? = nil, to end: RedisStreamID? = nil, count: Int? = nil
    ) async throws -> [RedisStreamEntry] {
        var arguments: [RedisArgument] = ["XRANGE", RedisArgument(key), start?.argument ?? "-", end?.argument ?? "+"]
        if let count { arguments += ["COUNT", RedisArgument(count)] }
        return try Self.streamEntries(try await send(arguments), command: "XRANGE")
    }

    /// `XDEL key id...`: how many entries were deleted.
    @discardableResult
    public func xdel(_ key: String, _ ids: [RedisStreamID]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await send(["XDEL", RedisArgument(key)] + ids.map(\.argument)).expectInteger("XDEL")
    }

    /// `XTRIM key MAXLEN [~] n`: how many entries were removed.
    @discardableResult
    public func xtrim(_ key: String, _ trim: RedisStreamTrim) async throws -> Int {
        try await send(["XTRIM", RedisArgument(key)] + trim.arguments).expectInteger("XTRIM")
    }

    /// `XGROUP CREATE key group id [MKSTREAM]`: creates a consumer group that starts reading after `id`
    /// (`.zero`: every entry already in the stream; nil: only entries added from now on, `$`).
    /// Returns false when the group already exists (BUSYGROUP), so every consumer can call it at start.
    @discardableResult
    public func xgroupCreate(
        _ key: String, group: String, startingAfter id: RedisStreamID? = .zero, createStream: Bool = true
    ) async throws -> Bool {
        var arguments: [RedisArgument] = ["XGROUP", "CREATE", RedisArgument(key), RedisArgument(group), id?.argument ?? "$"]
        if createStream { arguments.append("MKSTREAM") }
        do {
            try await send(arguments)
            return true
        } catch let error as RedisError where error.serverErrorCode == "BUSYGROUP" {
            return false
        }
    }

    /// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] STREAMS key position`: up to `count`
    /// entries for this consumer, each pending until acknowledged. With `block`, waits that long for
    /// new entries (an empty result when none came). A blocked read holds one pooled connection and
    /// must end before the command timeout: `block` has to be at least 250 ms shorter than it.
    public func xreadgroup(
        group: String, consumer: String, from key: String, position: RedisStreamReadPosition = .newEntries,
        count: Int? = nil, block: Duration? = nil
    ) async throws -> [RedisStreamEntry] {
        var arguments: [RedisArgument] = ["XREADGROUP", "GROUP", RedisArgument(group), RedisArgument(consumer)]
        if let count { arguments += ["COUNT", RedisArgument(count)] }
        if let block { arguments += ["BLOCK", RedisArgument(try blockMilliseconds(block, command: "XREADGROUP"))] }
        arguments += ["STREAMS", RedisArgument(key), position.argument]
        let reply = try await send(arguments)
        if reply.isNull { return [] } // BLOCK timed out with nothing new
        // [[key, [entry, ...]]]: one element per stream asked for.
        guard let stream = try reply.expectArray("XREADGROUP").first else { return [] }
        let pair = try stream.expectArray("XREADGROUP")
        guard pair.count == 2 else { throw RedisError.unexpected(stream, from: "XREADGROUP", expected: "[key, entries]") }
        return try Self.streamEntries(pair[1], command: "XREADGROUP")
    }

    /// `XACK key group id...`: how many of the ids were pending and are now acknowledged.
    @discardableResult
    public func xack(_ key: String, group: String, _ ids: [RedisStreamID]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await send(["XACK", RedisArgument(key), RedisArgument(group)] + ids.map(\.argument)).expectInteger("XACK")
    }

    /// `XPENDING key group`: the group's pending entries, counted.
    public func xpending(_ key: String, group: String) async throws -> RedisStreamPendingSummary {
        let reply = try await send("XPENDING", RedisArgument(key), RedisArgument(group))
        let parts = try reply.expectArray("XPENDING")
        guard parts.count == 4 else { throw RedisError.unexpected(reply, from: "XPENDING", expected: "a 4-element summary") }
        var consumers: [String: Int] = [:]
        for consumer in parts[3].array ?? [] {
            let pair = try consumer.expectArray("XPENDING")
            guard pair.count == 2, let name = pair[0].string, let count = pair[1].int else {
                throw RedisError.unexpected(consumer, from: "XPENDING", expected: "[consumer, count]")
            }
            consumers[name] = count
        }
        return RedisStreamPendingSummary(
            count: try parts[0].expectInteger("XPENDING"),
            smallestID: parts[1].string.flatMap(RedisStreamID.init), greatestID: parts[2].string.flatMap(RedisStreamID.init),
            consumers: consumers)
    }

    /// `XPENDING key group [IDLE ms] start end count [consumer]`: up to `count` pending entries (of one
    /// consumer, or all), oldest id first; with `minIdle`, only those delivered at least that long ago.
    public func xpendingEntries(
        _ key: String, group: String, count: Int, consumer: String? = nil, minIdle: Duration? = nil,
        from start: RedisStreamID? = nil, to end: RedisStreamID? = nil
    ) async throws -> [RedisStreamPendingEntry] {
        var arguments: [RedisArgument] = ["XPENDING", RedisArgument(key), RedisArgument(group)]
        if let minIdle { arguments += ["IDLE", RedisArgument(Self.milliseconds(minIdle))] }
        arguments += [start?.argument ?? "-", end?.argument ?? "+", RedisArgument(count)]
        if let consumer { arguments.append(RedisArgument(consumer)) }
        return try await send(arguments).expectArray("XPENDING").map { element in
            let fields = try element.expectArray("XPENDING")
            guard fields.count == 4, let id = fields[0].string.flatMap(RedisStreamID.init), let consumer = fields[1].string,
                let idle = fields[2].int, let deliveries = fields[3].int
            else { throw RedisError.unexpected(element, from: "XPENDING", expected: "[id, consumer, idle, deliveries]") }
            return RedisStreamPendingEntry(id: id, consumer: consumer, idle: .milliseconds(idle), deliveries: deliveries)
        }
    }

    /// `XCLAIM key group consumer min-idle-time id...`: takes over the given pending entries that have
    /// been idle at least `minIdle` (so two claimers cannot both take a live consumer's work) and returns
    /// them, now pending for `consumer` with their delivery count increased.
    public func xclaim(
        _ key: String, group: String, consumer: String, minIdle: Duration, ids: [RedisStreamID]
    ) async throws -> [RedisStreamEntry] {
        guard !ids.isEmpty else { return [] }
        let arguments: [RedisArgument] =
            ["XCLAIM", RedisArgument(key), RedisArgument(group), RedisArgument(consumer), RedisArgument(Self.milliseconds(minIdle))]
            + ids.map(\.argument)
        // Entries deleted meanwhile come back as nil elements (Redis 7): they are dropped from the list.
        return try Self.streamEntries(try await send(arguments), command: "XCLAIM", skippingNil: true)
    }

    /// `XAUTOCLAIM key group consumer min-idle-time start [COUNT n]`: scans the pending list from
    /// `start` and claims up to `count` entries idle at least `minIdle`: what a consumer runs to pick up
    /// the work of a crashed one. Call again from `nextStart` until it is `.zero`.
    public func xautoclaim(
        _ key: String, group: String, consumer: String, minIdle: Duration, start: RedisStreamID = .zero, count: Int = 100
    ) async throws -> RedisStreamAutoClaim {
        let reply = try await send(
            "XAUTOCLAIM", RedisArgument(key), RedisArgument(group), RedisArgument(consumer),
            RedisArgument(Self.milliseconds(minIdle)), start.argument, "COUNT", RedisArgument(count))
        let parts = try reply.expectArray("XAUTOCLAIM")
        guard parts.count >= 2, let next = parts[0].string.flatMap(RedisStreamID.init) else {
            throw RedisError.unexpected(reply, from: "XAUTOCLAIM", expected: "[next-start, entries, deleted]")
        }
        let deleted = parts.count > 2 ? try parts[2].expectArray("XAUTOCLAIM").compactMap { $0.string.flatMap(RedisStreamID.init) } : []
        return RedisStreamAutoClaim(
            nextStart: next, claimed: try Self.streamEntries(parts[1], command: "XAUTOCLAIM", skippingNil: true), deletedIDs: deleted)
    }

    // MARK: - Reply parsing

    static func streamID(_ reply: RESPValue, command: String) throws -> RedisStreamID {
        guard let text = reply.string, let id = RedisStreamID(text) else {
            throw RedisError.unexpected(reply, from: command, expected: "a stream id")
        }
        return id
    }

    /// `[[id, [field, value, ...]], ...]`; a deleted pending entry is `[id, nil]`.
    static func streamEntries(_ reply: RESPValue, command: String, skippingNil: Bool = false) throws -> [RedisStreamEntry] {
        try reply.expectArray(command).compactMap { element -> RedisStreamEntry? in
            if element.isNull && skippingNil { return nil }
            let pair = try element.expectArray(command)
            guard pair.count == 2 else { throw RedisError.unexpected(element, from: command, expected: "[id, fields]") }
            let id = try streamID(pair[0], command: command)
            if pair[1].isNull { return RedisStreamEntry(id: id, fields: []) }
            let flat = try pair[1].expectArray(command)
            guard flat.count % 2 == 0 else { throw RedisError.unexpected(pair[1], from: command, expected: "field/value pairs") }
            let fields = try stride(from: 0, to: flat.count, by: 2).map { index in
                RedisStreamEntry.Field(try flat[index].expectString(command), try flat[index + 1].expectString(command))
            }
            return RedisStreamEntry(id: id, fields: fields)
        }
    }
}
