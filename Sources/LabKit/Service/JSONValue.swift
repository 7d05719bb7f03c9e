import Foundation

/// A JSON value as plain Swift data, so admin bodies can be validated field by field
/// (and errors can name the field at fault) instead of failing a whole `Codable` decode.
public enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        }
        // Bool first: JSONDecoder refuses to read a number as a Bool, so `1` stays a number.
        else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d):
            // Whole numbers print without ".0" so `{"retries": 3}` round-trips as written (up to 2^53,
            // where doubles stop being exact: microsecond timestamps stay integers).
            if d.rounded() == d, abs(d) < 9.007e15 { try c.encode(Int64(d)) } else { try c.encode(d) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses a request body; a syntax error becomes a readable message.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONFieldError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw JSONFieldError("body is not valid JSON")
        }
    }

    /// Compact JSON with sorted keys — byte for byte what `JSONEncoder` with `.sortedKeys` writes
    /// (including its `\/`), but written by hand: every lab response goes through here, and the
    /// generic encoder cost more per request than the service's whole telemetry
    /// (Benchmarks/http-telemetry). A non-finite number, which JSONEncoder refuses, becomes `null`.
    public func encodedString() -> String {
        var out = ""
        out.reserveCapacity(64)
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d):
            if !d.isFinite {
                out += "null"
            } else if d.rounded() == d, abs(d) < 9.007e15 {
                out += String(Int64(d))
            } else {
                var text = d.description // shortest round-trip form, as JSONEncoder prints it
                if text.hasSuffix(".0") { text.removeLast(2) }
                out += text
            }
        case .string(let s): Self.writeString(s, escapingSlashes: true, into: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out += "," }
                Self.writeString(field.key, escapingSlashes: true, into: &out)
                out += ":"
                field.value.write(into: &out)
            }
            out += "}"
        }
    }

    /// `string` as a double-quoted JSON string. Without `escapingSlashes` (`\/` is what `JSONEncoder`
    /// writes, and what lab responses keep) it is also a valid double-quoted YAML scalar, which is how
    /// the generated Compose files and Prometheus configurations quote their values.
    public static func quoted(_ string: String, escapingSlashes: Bool) -> String {
        var out = ""
        writeString(string, escapingSlashes: escapingSlashes, into: &out)
        return out
    }

    private static func writeString(_ string: String, escapingSlashes: Bool, into out: inout String) {
        out += "\""
        defer { out += "\"" }
        // Most strings (keys, names, ids) need no escaping: append them whole.
        let needsEscaping = string.utf8.contains { byte in
            byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || (escapingSlashes && byte == UInt8(ascii: "/"))
        }
        guard needsEscaping else {
            out += string
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where escapingSlashes: out += "\\/"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return s
        default: return encodedString()
        }
    }
}

/// A validation failure that names the field at fault, e.g. `field 'latency.fixed_ms': expected a number`.
public struct JSONFieldError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public init(field: String, _ problem: String) { self.message = "field '\(field)': \(problem)" }
    public var description: String { message }
}

/// Reads typed fields from a JSON object, reporting errors by dotted path.
struct JSONObjectReader {
    let path: String
    let fields: [String: JSONValue]

    init(_ value: JSONValue, path: String) throws(JSONFieldError) {
        guard case .object(let fields) = value else {
            throw path.isEmpty ? JSONFieldError("body: expected a JSON object") : JSONFieldError(field: path, "expected an object")
        }
        self.path = path
        self.fields = fields
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Rejects keys the schema does not know, so a typo (`fixed_sm`) is an error, not a silent no-op.
    func allowOnly(_ keys: Set<String>) throws(JSONFieldError) {
        if let unknown = fields.keys.sorted().first(where: { !keys.contains($0) }) {
            throw JSONFieldError(field: name(unknown), "unknown field (expected one of: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    func number(
        _ key: String, default value: Double? = nil, in range: ClosedRange<Double>, expected: String
    ) throws(JSONFieldError) -> Double {
        switch fields[key] {
        case nil, .null?:
            if let value { return value }
            throw JSONFieldError(field: name(key), "required, expected \(expected)")
        case .number(let d)? where range.contains(d):
            return d
        default:
            throw JSONFieldError(field: name(key), "expected \(expected)")
        }
    }

    func optionalString(_ key: String) throws(JSONFieldError) -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let s)? where !s.isEmpty: return s
        default: throw JSONFieldError(field: name(key), "expected a non-empty string")
        }
    }
}

extension JSONValue {
    /// Member access for reading replies: `reply["backend"]?["count"]`.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var doubleValue: Double? { if case .number(let d) = self { d } else { nil } }
    /// The number as an Int when it is a whole number in range (never traps on 1e300 or NaN).
    public var intValue: Int? { doubleValue.flatMap { Int(exactly: $0.rounded(.towardZero)) } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
}
