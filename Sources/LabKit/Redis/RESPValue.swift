/// One reply from a Redis server, as the RESP2 protocol spells it.
///
/// Bulk strings are kept as raw bytes because Redis values are binary-safe (a bitmap from SETBIT is
/// not valid UTF-8); `string` decodes them when you know they are text.
public enum RESPValue: Sendable, Hashable {
    /// A bulk string: `$5\r\nhello\r\n`.
    case bytes([UInt8])
    /// A simple string ("status reply"): `+OK\r\n`.
    case status(String)
    /// `:42\r\n`.
    case integer(Int)
    /// `*2\r\n...`; elements may themselves be any value, including `.error` inside EXEC results.
    case array([RESPValue])
    /// The null bulk string or null array: a missing key, a SET NX that did not set.
    case null
    /// An error reply: `-WRONGTYPE Operation against a key holding the wrong kind of value\r\n`.
    /// `RedisClient.send` throws these as `RedisError.server`; pipelines return them in place.
    case error(String)
}

extension RESPValue {
    /// Text of a bulk string (UTF-8) or a status reply; nil for anything else.
    public var string: String? {
        switch self {
        case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        default: return nil
        }
    }

    /// Bytes of a bulk string or status reply; nil for anything else.
    public var bytes: [UInt8]? {
        switch self {
        case .bytes(let bytes): return bytes
        case .status(let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// An integer reply, or a bulk string that holds a decimal integer (GET of a counter).
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .bytes, .status: return string.flatMap { Int($0) }
        default: return nil
        }
    }

    /// A bulk string holding a floating point number (ZINCRBY, ZSCORE).
    public var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .bytes, .status: return string.flatMap { Double($0) }
        default: return nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension RESPValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .bytes(let bytes): return "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .status(let text): return text
        case .integer(let value): return "(integer) \(value)"
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: return "(nil)"
        case .error(let message): return "(error) \(message)"
        }
    }
}
