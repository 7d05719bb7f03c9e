/// Appends protobuf fields to a byte buffer. The field methods follow proto3: a scalar equal to its
/// default (0, "", empty bytes, false) is omitted unless `always` is set — which OTLP needs for the
/// members of the `AnyValue` oneof, whose presence is the information (`int_value = 0` is a value).
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: primitives

    mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// How many bytes `writeVarint(value)` writes.
    static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    mutating func writeTag(_ field: Int, _ wireType: WireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    mutating func writeFixed32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { appendRaw($0) }
    }

    mutating func writeFixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { appendRaw($0) }
    }

    mutating func appendRaw(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }

    mutating func writeLengthDelimited(_ payload: some Collection<UInt8>) {
        writeVarint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    // MARK: fields

    mutating func uint64(_ field: Int, _ value: UInt64, always: Bool = false) {
        guard always || value != 0 else { return }
        writeTag(field, .varint)
        writeVarint(value)
    }

    /// int64 is a plain varint of the two's-complement bits, so negative values take 10 bytes.
    mutating func int64(_ field: Int, _ value: Int64, always: Bool = false) {
        uint64(field, UInt64(bitPattern: value), always: always)
    }

    mutating func uint32(_ field: Int, _ value: UInt32) {
        uint64(field, UInt64(value))
    }

    /// int32 and enums are sign-extended to 64 bits before varint encoding (protobuf's rule).
    mutating func int32(_ field: Int, _ value: Int32) {
        uint64(field, UInt64(bitPattern: Int64(value)))
    }

    mutating func bool(_ field: Int, _ value: Bool, always: Bool = false) {
        uint64(field, value ? 1 : 0, always: always)
    }

    mutating func fixed32(_ field: Int, _ value: UInt32) {
        guard value != 0 else { return }
        writeTag(field, .fixed32)
        writeFixed32(value)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        writeTag(field, .fixed64)
        writeFixed64(value)
    }

    /// A double is its IEEE-754 bits as fixed64; `always` keeps 0.0 (and -0.0 is never dropped).
    mutating func double(_ field: Int, _ value: Double, always: Bool = false) {
        guard always || value.bitPattern != 0 else { return }
        writeTag(field, .fixed64)
        writeFixed64(value.bitPattern)
    }

    mutating func string(_ field: Int, _ value: String, always: Bool = false) {
        guard always || !value.isEmpty else { return }
        writeTag(field, .lengthDelimited)
        writeLengthDelimited(value.utf8)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8], always: Bool = false) {
        guard always || !value.isEmpty else { return }
        writeTag(field, .lengthDelimited)
        writeLengthDelimited(value)
    }

    /// An embedded message. Singular message fields are omitted when they encode to nothing (the
    /// default message); repeated elements and oneof members must pass `always: true` so they are kept.
    ///
    /// The message is written in place after a one-byte length placeholder — most nested messages
    /// (attributes, values) are shorter than 128 bytes, so the placeholder is simply filled in; a longer
    /// message gets the rest of its varint length inserted after the placeholder (one move of its
    /// bytes, no extra buffer).
    mutating func message(_ field: Int, _ value: some ProtobufEncodable, always: Bool = false) {
        message(field, always: always) { value.encode(to: &$0) }
    }

    /// An embedded message whose fields `writeFields` writes (for messages that have no type of their
    /// own, e.g. the envelope around a batch of finished spans).
    mutating func message(_ field: Int, always: Bool = false, _ writeFields: (inout ProtobufWriter) -> Void) {
        let tagStart = bytes.count
        writeTag(field, .lengthDelimited)
        let placeholder = bytes.count
        bytes.append(0)
        writeFields(&self)
        let length = bytes.count - placeholder - 1
        if length == 0 && !always {
            bytes.removeSubrange(tagStart...)
        } else {
            fillLength(length, at: placeholder)
        }
    }

    /// Writes `length` as a varint starting at the one-byte placeholder `index`.
    private mutating func fillLength(_ length: Int, at index: Int) {
        var rest = UInt64(length)
        var position = index
        while rest >= 0x80 {
            bytes[position] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest >>= 7
            position += 1
            bytes.insert(0, at: position) // 2 bytes up to 16 KiB, 3 up to 2 MiB: rarely more than one insert
        }
        bytes[position] = UInt8(rest)
    }

    mutating func repeated(_ field: Int, _ values: [some ProtobufEncodable]) {
        for value in values { message(field, value, always: true) }
    }
}
