/// One argument of a Redis command, as the bytes that go on the wire.
///
/// Write `client.send("SET", "key", .bytes(blob))` or `client.send(["INCRBY", "n", 5])`:
/// strings, integers and doubles convert by literal or initializer.
public struct RedisArgument: Sendable, Hashable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }
    public init(_ value: Int) { self.bytes = Array(String(value).utf8) }
    /// Redis parses doubles with strtod; Swift's shortest round-trip form is what it expects,
    /// and infinities must be spelled `+inf`/`-inf`.
    public init(_ value: Double) {
        if value == .infinity {
            self.bytes = Array("+inf".utf8)
        } else if value == -.infinity {
            self.bytes = Array("-inf".utf8)
        } else {
            self.bytes = Array(String(value).utf8)
        }
    }

    public static func bytes(_ bytes: [UInt8]) -> RedisArgument { RedisArgument(bytes: bytes) }
}

extension RedisArgument: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}

extension RedisArgument: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self.init(value) }
}

extension RedisArgument: CustomStringConvertible {
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}
