/// Reads protobuf fields from a byte buffer without ever trapping: every read is bounds-checked and
/// anything malformed throws `OTLPDecodingError` carrying the byte offset. A nested message is read by a
/// child reader over a sub-range of the same buffer (no copy), one level deeper; past `maxDepth` levels
/// decoding stops, so hostile input (an `AnyValue` array nested a million times) cannot exhaust the stack.
struct ProtobufReader {
    /// Python's protobuf (upb) and C++ protobuf use the same default recursion limit.
    static let maxDepth = OTLP.maxNestingDepth

    private let buffer: [UInt8]
    private(set) var position: Int
    private let end: Int
    let depth: Int

    init(_ buffer: [UInt8]) {
        self.init(buffer: buffer, range: 0..<buffer.count, depth: 0)
    }

    private init(buffer: [UInt8], range: Range<Int>, depth: Int) {
        self.buffer = buffer
        self.position = range.lowerBound
        self.end = range.upperBound
        self.depth = depth
    }

    var isAtEnd: Bool { position >= end }

    private func error(_ reason: OTLPDecodingError.Reason, at offset: Int? = nil) -> OTLPDecodingError {
        OTLPDecodingError(reason: reason, offset: offset ?? position)
    }

    // MARK: primitives

    mutating func readVarint() throws(OTLPDecodingError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw error(.truncated, at: start) }
            let byte = buffer[position]
            position += 1
            // The 10th byte must end the varint. Only its lowest bit fits in 64 bits; like upb (the
            // parser behind Python's protobuf) and C++ protobuf we drop the overflow bits.
            if shift == 63 && byte >= 0x80 { throw error(.malformedVarint, at: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    mutating func readFixed32() throws(OTLPDecodingError) -> UInt32 {
        guard end - position >= 4 else { throw error(.truncated) }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(buffer[position + i]) << UInt32(8 * i) }
        position += 4
        return v
    }

    mutating func readFixed64() throws(OTLPDecodingError) -> UInt64 {
        guard end - position >= 8 else { throw error(.truncated) }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(buffer[position + i]) << UInt64(8 * i) }
        position += 8
        return v
    }

    /// Reads a length prefix and returns the range of the payload, which it steps over.
    mutating func readLengthDelimited() throws(OTLPDecodingError) -> Range<Int> {
        let start = position
        let length = try readVarint()
        let remaining = end - position
        guard length <= UInt64(remaining) else {
            throw error(.lengthOutOfBounds(length: length, remaining: remaining), at: start)
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// The next field's tag, or nil at the end of this message.
    mutating func nextField() throws(OTLPDecodingError) -> FieldTag? {
        guard !isAtEnd else { return nil }
        let start = position
        let key = try readVarint()
        let number = key >> 3
        guard number >= 1, number <= 0x1FFF_FFFF else { throw error(.invalidFieldNumber(number), at: start) }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw error(.invalidWireType(UInt8(key & 7)), at: start)
        }
        if wireType == .endGroup { throw error(.unexpectedEndGroup(field: Int(number)), at: start) }
        return FieldTag(number: Int(number), wireType: wireType)
    }

    /// Steps over the value of a field this decoder does not know (forward compatibility).
    mutating func skipUnknown(_ tag: FieldTag) throws(OTLPDecodingError) {
        try named("<unknown field \(tag.number)>") { (r: inout ProtobufReader) throws(OTLPDecodingError) in try r.skip(tag) }
    }

    private mutating func skip(_ tag: FieldTag) throws(OTLPDecodingError) {
        switch tag.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup: try skipGroup(tag.number, depth: depth + 1)
        case .endGroup: throw error(.unexpectedEndGroup(field: tag.number))
        }
    }

    /// A group runs until the END_GROUP tag with the same field number; groups may nest.
    private mutating func skipGroup(_ number: Int, depth: Int) throws(OTLPDecodingError) {
        let start = position
        guard depth <= Self.maxDepth else { throw error(.nestingTooDeep(limit: Self.maxDepth)) }
        while true {
            guard !isAtEnd else { throw error(.unterminatedGroup(field: number), at: start) }
            let tagStart = position
            let key = try readVarint()
            let inner = key >> 3
            guard inner >= 1, inner <= 0x1FFF_FFFF else { throw error(.invalidFieldNumber(inner), at: tagStart) }
            guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
                throw error(.invalidWireType(UInt8(key & 7)), at: tagStart)
            }
            switch wireType {
            case .endGroup:
                guard inner == UInt64(number) else { throw error(.unexpectedEndGroup(field: Int(inner)), at: tagStart) }
                return
            case .startGroup: try skipGroup(Int(inner), depth: depth + 1)
            default: try skip(FieldTag(number: Int(inner), wireType: wireType))
            }
        }
    }

    // MARK: typed values (each names its field so errors say where they happened)

    mutating func uint64(_ name: String) throws(OTLPDecodingError) -> UInt64 {
        try named(name) { (r: inout ProtobufReader) throws(OTLPDecodingError) in try r.readVarint() }
    }

    mutating func int64(_ name: String) throws(OTLPDecodingError) -> Int64 {
        Int64(bitPattern: try uint64(name))
    }

    /// uint32 fields keep the low 32 bits of the varint, as protobuf parsers do.
    mutating func uint32(_ name: String) throws(OTLPDecodingError) -> UInt32 {
        UInt32(truncatingIfNeeded: try uint64(name))
    }

    /// int32/enum fields: the low 32 bits of the (sign-extended) varint.
    mutating func int32(_ name: String) throws(OTLPDecodingError) -> Int32 {
        Int32(truncatingIfNeeded: try uint64(name))
    }

    mutating func bool(_ name: String) throws(OTLPDecodingError) -> Bool {
        try uint64(name) != 0
    }

    mutating func fixed32(_ name: String) throws(OTLPDecodingError) -> UInt32 {
        try named(name) { (r: inout ProtobufReader) throws(OTLPDecodingError) in try r.readFixed32() }
    }

    mutating func fixed64(_ name: String) throws(OTLPDecodingError) -> UInt64 {
        try named(name) { (r: inout ProtobufReader) throws(OTLPDecodingError) in try r.readFixed64() }
    }

    /// A NaN reads as the one canonical NaN: its sign and payload bits carry nothing a span means,
    /// and OTLP/JSON (which writes every NaN as "NaN") could not keep them.
    mutating func double(_ name: String) throws(OTLPDecodingError) -> Double {
        let value = Double(bitPattern: try fixed64(name))
        return value.isNaN ? .nan : value
    }

    mutating func bytes(_ name: String) throws(OTLPDecodingError) -> [UInt8] {
        let range = try named(name) { (r: inout ProtobufReader) throws(OTLPDecodingError) in try r.readLengthDelimited() }
        return Array(buffer[range])
    }

    /// proto3 `string` must be UTF-8; invalid bytes are an error rather than silently replaced.
    mutating func string(_ name: String) throws(OTLPDecodingError) -> String {
        let range = try named(name) { (r: inout ProtobufReader) throws(OTLPDecodingError) in try r.readLengthDelimited() }
        guard let s = String(validating: buffer[range], as: UTF8.self) else {
            throw OTLPDecodingError(reason: .invalidUTF8, offset: range.lowerBound, fieldPath: [name])
        }
        return s
    }

    /// Decodes an embedded message (a repeated element or a fresh value).
    mutating func message<M: ProtobufMessage>(_ name: String, as type: M.Type = M.self) throws(OTLPDecodingError) -> M {
        var value = M()
        try merge(name, into: &value)
        return value
    }

    /// Merges an embedded message into `value` (protobuf's rule when a singular message field repeats).
    mutating func merge<M: ProtobufMessage>(_ name: String, into value: inout M) throws(OTLPDecodingError) {
        var child = try embedded(name)
        do {
            try value.merge(from: &child)
        } catch {
            var e = error
            e.fieldPath.insert(name, at: 0)
            throw e
        }
    }

    /// A reader over an embedded message, one level deeper, which this reader steps over: the caller
    /// decides whether to decode it (errors from the child do not carry `name`; callers add it).
    mutating func embedded(_ name: String) throws(OTLPDecodingError) -> ProtobufReader {
        let range = try named(name) { (r: inout ProtobufReader) throws(OTLPDecodingError) in try r.readLengthDelimited() }
        guard depth + 1 <= Self.maxDepth else {
            throw OTLPDecodingError(reason: .nestingTooDeep(limit: Self.maxDepth), offset: range.lowerBound, fieldPath: [name])
        }
        return ProtobufReader(buffer: buffer, range: range, depth: depth + 1)
    }

    /// The bytes of length-delimited field `number` of this message (the last occurrence, as a decoder
    /// keeps it), read from a copy (this reader does not move); nil if the message has none. Every
    /// other field is stepped over unread.
    func peekBytes(field number: Int) throws(OTLPDecodingError) -> ArraySlice<UInt8>? {
        var r = self
        var found: ArraySlice<UInt8>?
        while let tag = try r.nextField() {
            if tag.number == number, tag.wireType == .lengthDelimited {
                found = buffer[try r.readLengthDelimited()]
            } else {
                try r.skip(tag)
            }
        }
        return found
    }

    private mutating func named<T>(
        _ name: String, _ read: (inout ProtobufReader) throws(OTLPDecodingError) -> T
    ) throws(OTLPDecodingError) -> T {
        do {
            return try read(&self)
        } catch {
            var e = error
            e.fieldPath.insert(name, at: 0)
            throw e
        }
    }
}

extension OTLP {
    /// How deep messages may nest, counting the request as level 0 (a span's attribute value is at
    /// level 5; each `kvlistValue` adds 3 levels, each `arrayValue` 2). The protobuf decoder refuses
    /// anything deeper, and the trace store keeps records in protobuf: every other way in (OTLP/JSON)
    /// must enforce the same limit, or the store would accept what it cannot read back.
    public static let maxNestingDepth = 100
}
