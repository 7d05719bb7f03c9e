/// Why a protobuf payload could not be decoded, and where: the byte offset in the whole input and the
/// path of field names leading to the bad value (e.g. `resource_spans.scope_spans.spans.name`).
/// The OTLP receiver turns this into an HTTP 400 whose body is `description`.
public struct OTLPDecodingError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The input ended in the middle of a tag or value.
        case truncated
        /// A varint ran past 10 bytes.
        case malformedVarint
        /// A length prefix points past the end of its enclosing message.
        case lengthOutOfBounds(length: UInt64, remaining: Int)
        /// Field number 0 or above 2^29-1.
        case invalidFieldNumber(UInt64)
        /// Wire types 6 and 7 do not exist.
        case invalidWireType(UInt8)
        /// An END_GROUP tag with no matching START_GROUP (or for another field number).
        case unexpectedEndGroup(field: Int)
        /// A START_GROUP whose END_GROUP never came.
        case unterminatedGroup(field: Int)
        /// Messages (or groups) nested deeper than the limit; protects the stack.
        case nestingTooDeep(limit: Int)
        /// A `string` field that is not valid UTF-8 (proto3 requires it).
        case invalidUTF8
    }

    public var reason: Reason
    /// Offset of the offending byte, counted from the start of the whole input.
    public var offset: Int
    /// Field names from the outermost message down to the offending field; empty at the top level.
    public var fieldPath: [String]

    public init(reason: Reason, offset: Int, fieldPath: [String] = []) {
        self.reason = reason
        self.offset = offset
        self.fieldPath = fieldPath
    }

    /// The field path joined with dots, e.g. `resource_spans.scope_spans.spans.attributes.value`.
    public var field: String { fieldPath.isEmpty ? "(top level)" : fieldPath.joined(separator: ".") }

    /// The field path for messages: a path through deeply nested values is shortened in the middle
    /// (its first and last fields and how many lie between), so one error stays one readable line.
    var shortField: String {
        guard fieldPath.count > 12 else { return field }
        let middle = fieldPath.count - 9
        return (fieldPath.prefix(6) + ["…(\(middle) more)…"] + fieldPath.suffix(3)).joined(separator: ".")
    }

    public var description: String {
        "malformed protobuf at byte \(offset), field \(shortField): \(reasonText)"
    }

    private var reasonText: String {
        switch reason {
        case .truncated: "input ends in the middle of a value"
        case .malformedVarint: "varint longer than 10 bytes"
        case .lengthOutOfBounds(let length, let remaining):
            "length \(length) exceeds the \(remaining) bytes left in the enclosing message"
        case .invalidFieldNumber(let n): "invalid field number \(n)"
        case .invalidWireType(let w): "invalid wire type \(w)"
        case .unexpectedEndGroup(let f): "END_GROUP for field \(f) without a matching START_GROUP"
        case .unterminatedGroup(let f): "START_GROUP for field \(f) is never closed"
        case .nestingTooDeep(let limit): "messages nested deeper than \(limit) levels"
        case .invalidUTF8: "string field is not valid UTF-8"
        }
    }
}
