import Tracing

/// The exporter's fast path: finished spans written straight to OTLP protobuf, without building the
/// `OTLP` model first. The bytes decode to exactly `FinishedSpan.otlp` (up to attribute order) —
/// `FinishedSpanEncodingTests` checks it for every attribute kind, events, links and status.
///
/// Field numbers are those of opentelemetry/proto/trace/v1/trace.proto (see `OTLP.Span`).
extension FinishedSpan: ProtobufEncodable {
    func encode(to w: inout ProtobufWriter) {
        w.id(1, high: traceID.high, low: traceID.low)
        w.id(2, low: spanID.value)
        w.string(3, traceState)
        if let parentSpanID { w.id(4, low: parentSpanID.value) }
        w.string(5, name)
        w.int32(6, OTLPMapping.kind(kind).rawValue)
        w.fixed64(7, startNanoseconds)
        w.fixed64(8, endNanoseconds)
        if let http = httpServer { // the fields directly, in the order of `HTTPServerAttributes.forEach`
            w.keyValue(9, key: HTTPServerAttributes.methodKey, value: .string(http.method))
            if let code = http.statusCode { w.keyValue(9, key: HTTPServerAttributes.statusCodeKey, value: .int(Int64(code))) }
            if let route = http.route { w.keyValue(9, key: HTTPServerAttributes.routeKey, value: .string(route)) }
            w.keyValue(9, key: HTTPServerAttributes.pathKey, value: .string(http.path))
        }
        attributes.forEach { key, value in
            guard let value = WireAttributeValue(value) else { return }
            w.keyValue(9, key: key, value: value)
        }
        OTLP.Span.encodeFields10To16(
            to: &w, droppedAttributesCount: droppedAttributesCount, events: events, droppedEventsCount: droppedEventsCount,
            links: links, droppedLinksCount: droppedLinksCount, status: status, flags: flags)
    }
}

/// An `ExportTraceServiceRequest` of one `ResourceSpans` with one `ScopeSpans`: the body of one export.
struct FinishedSpanRequest: ProtobufEncodable {
    let resource: OTLP.Resource
    let scope: OTLP.InstrumentationScope
    let spans: [FinishedSpan]

    func encode(to w: inout ProtobufWriter) {
        w.message(1, always: true) { resourceSpans in
            resourceSpans.message(1, resource)
            resourceSpans.message(2, always: true) { scopeSpans in
                scopeSpans.message(1, scope)
                scopeSpans.repeated(2, spans)
            }
        }
    }

    /// Serialized, in a buffer sized for typical spans (about 200 bytes each) so it rarely grows.
    func protobufBytes() -> [UInt8] { serialized(reservingCapacity: 256 + spans.count * 256) }
}

/// An attribute value as an OTLP `AnyValue`. The common scalars are written directly; arrays and
/// description-converted values go through the model (they are rare). Nil for a kind OTLP cannot carry.
enum WireAttributeValue: ProtobufEncodable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case other(OTLP.AnyValue)

    init?(_ attribute: SpanAttribute) {
        switch attribute {
        case .string(let v): self = .string(v)
        case .bool(let v): self = .bool(v)
        case .int32(let v): self = .int(Int64(v))
        case .int64(let v): self = .int(v)
        case .double(let v): self = .double(v)
        default:
            guard let value = OTLPMapping.anyValue(attribute) else { return nil }
            self = .other(value)
        }
    }

    /// The oneof members of `AnyValue`; written even when default (`int_value = 0` is a value).
    func encode(to w: inout ProtobufWriter) {
        switch self {
        case .string(let v): w.string(1, v, always: true)
        case .bool(let v): w.bool(2, v, always: true)
        case .int(let v): w.int64(3, v, always: true)
        case .double(let v): w.double(4, v, always: true)
        case .other(let v): v.encode(to: &w)
        }
    }

    /// The encoded size of this `AnyValue` when it is a scalar (nil for `.other`), so that a
    /// key-value can be written with its lengths known up front.
    var scalarSize: Int? {
        switch self {
        case .string(let v): 1 + ProtobufWriter.varintSize(UInt64(v.utf8.count)) + v.utf8.count
        case .bool: 2
        case .int(let v): 1 + ProtobufWriter.varintSize(UInt64(bitPattern: v))
        case .double: 9
        case .other: nil
        }
    }
}

extension ProtobufWriter {
    /// A `KeyValue { string key = 1; AnyValue value = 2; }` as field `field`. Attributes are most of a
    /// span's bytes, so a scalar value is written with its lengths computed first rather than through
    /// two placeholders; arrays take the general path.
    mutating func keyValue(_ field: Int, key: String, value: WireAttributeValue) {
        guard let valueSize = value.scalarSize else {
            return message(field, always: true) { keyValue in
                keyValue.string(1, key)
                keyValue.message(2, value)
            }
        }
        let keyCount = key.utf8.count
        let keySize = keyCount == 0 ? 0 : 1 + Self.varintSize(UInt64(keyCount)) + keyCount // proto3 omits ""
        let size = keySize + 1 + Self.varintSize(UInt64(valueSize)) + valueSize
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(size))
        string(1, key)
        writeTag(2, .lengthDelimited)
        writeVarint(UInt64(valueSize))
        value.encode(to: &self)
    }

    /// A trace id (16 bytes) or span id (8 bytes) as a `bytes` field, big-endian as W3C and OTLP
    /// write them.
    mutating func id(_ field: Int, high: UInt64? = nil, low: UInt64) {
        writeTag(field, .lengthDelimited)
        writeVarint(high == nil ? 8 : 16)
        if let high { writeBigEndian(high) }
        writeBigEndian(low)
    }

    private mutating func writeBigEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { appendRaw($0) }
    }
}
