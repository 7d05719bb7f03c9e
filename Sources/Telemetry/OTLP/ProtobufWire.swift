/// The protobuf wire format in brief (https://protobuf.dev/programming-guides/encoding/):
/// every field is a *tag* — varint of `(field_number << 3) | wire_type` — followed by its value.
/// Only five wire types exist today; groups (3/4) are deprecated but must still be skippable.
enum WireType: UInt8, Sendable {
    case varint = 0 // int32, int64, uint32, uint64, bool, enum
    case fixed64 = 1 // fixed64, sfixed64, double (little-endian)
    case lengthDelimited = 2 // string, bytes, embedded messages, packed repeated
    case startGroup = 3 // deprecated
    case endGroup = 4 // deprecated
    case fixed32 = 5 // fixed32, sfixed32, float (little-endian)
}

/// A decoded tag: which field, and how its value is laid out.
struct FieldTag: Sendable {
    var number: Int
    var wireType: WireType
}

/// Anything that can write itself as a protobuf message: every OTLP message, and views that write
/// the same wire message from another shape (a `FinishedSpan` writes an OTLP `Span`).
protocol ProtobufEncodable {
    func encode(to writer: inout ProtobufWriter)
}

/// Implemented by every OTLP message: how to write itself and how to merge a serialized copy into itself.
/// "Merge" is protobuf's semantics for decoding: scalars overwrite, repeated fields append, and a singular
/// message field that occurs twice is merged field by field.
protocol ProtobufMessage: ProtobufEncodable {
    init()
    mutating func merge(from reader: inout ProtobufReader) throws(OTLPDecodingError)
}

extension ProtobufEncodable {
    /// The serialized message.
    func serialized(reservingCapacity capacity: Int = 0) -> [UInt8] {
        var writer = ProtobufWriter(reservingCapacity: capacity)
        encode(to: &writer)
        return writer.bytes
    }
}

extension ProtobufMessage {

    /// Decodes a complete message from `bytes`; anything malformed throws `OTLPDecodingError`.
    init(serialized bytes: some Collection<UInt8>) throws(OTLPDecodingError) {
        self.init()
        var reader = ProtobufReader(Array(bytes))
        try merge(from: &reader)
    }
}
