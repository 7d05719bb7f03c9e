import Foundation
import Telemetry

/// OTLP/JSON: the protobuf messages in the proto3 JSON mapping, with the OTLP exceptions.
///
/// OTLP departs from plain proto3 JSON in two ways that matter here: trace and span ids are
/// HEX strings (not base64), and enums are written as integers. Field names are lowerCamelCase;
/// we also accept the original snake_case names and enum names when reading, and 64-bit integers
/// as either JSON strings or numbers (we write them as strings, as the spec's examples do).
/// Unknown fields are ignored, as the spec requires of receivers.
public enum OTLPJSON {
    public struct DecodingError: Error, CustomStringConvertible, Equatable {
        /// Where the problem is, e.g. `resourceSpans[0].scopeSpans[0].spans[3].traceId`.
        public var path: String
        public var problem: String
        public var description: String { path.isEmpty ? problem : "\(Self.shortened(path)): \(problem)" }

        /// A path through deeply nested values, shortened in the middle so an error stays one readable line.
        static func shortened(_ path: String) -> String {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count > 12 else { return path }
            return (parts.prefix(6) + ["…(\(parts.count - 9) more)…"] + parts.suffix(3)).joined(separator: ".")
        }
    }

    // MARK: Encoding

    public static func encode(_ request: OTLP.ExportTraceServiceRequest, pretty: Bool = false) -> [UInt8] {
        let object: [String: Any] = ["resourceSpans": request.resourceSpans.map(json(resourceSpans:))]
        return serialize(object, pretty: pretty)
    }

    /// Whole traces as one OTLP/JSON document (what `labctl traces --export` writes for Jaeger's UI).
    public static func encode(traces: [Trace], pretty: Bool = true) -> [UInt8] {
        encode(OTLP.ExportTraceServiceRequest(spans: traces.flatMap(\.spans)), pretty: pretty)
    }

    public static func encode(_ response: OTLP.ExportTraceServiceResponse) -> [UInt8] {
        // An empty partial_success means full success; like the SDKs we then send `{}`.
        guard response.rejectedSpans != 0 || !response.errorMessage.isEmpty else { return Array("{}".utf8) }
        let partial: [String: Any] = ["rejectedSpans": String(response.rejectedSpans), "errorMessage": response.errorMessage]
        return serialize(["partialSuccess": partial], pretty: false)
    }

    private static func serialize(_ object: [String: Any], pretty: Bool) -> [UInt8] {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        // Only strings, numbers, bools, arrays and dictionaries are put in, so this cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: options)) ?? Data("{}".utf8)
        return Array(data)
    }

    private static func json(resourceSpans rs: OTLP.ResourceSpans) -> [String: Any] {
        var out: [String: Any] = [
            "resource": json(resource: rs.resource),
            "scopeSpans": rs.scopeSpans.map(json(scopeSpans:)),
        ]
        if !rs.schemaURL.isEmpty { out["schemaUrl"] = rs.schemaURL }
        return out
    }

    private static func json(resource: OTLP.Resource) -> [String: Any] {
        var out: [String: Any] = ["attributes": resource.attributes.map(json(keyValue:))]
        if resource.droppedAttributesCount != 0 { out["droppedAttributesCount"] = resource.droppedAttributesCount }
        return out
    }

    private static func json(scopeSpans ss: OTLP.ScopeSpans) -> [String: Any] {
        var scope: [String: Any] = ["name": ss.scope.name]
        if !ss.scope.version.isEmpty { scope["version"] = ss.scope.version }
        if !ss.scope.attributes.isEmpty { scope["attributes"] = ss.scope.attributes.map(json(keyValue:)) }
        if ss.scope.droppedAttributesCount != 0 { scope["droppedAttributesCount"] = ss.scope.droppedAttributesCount }
        var out: [String: Any] = ["scope": scope, "spans": ss.spans.map(json(span:))]
        if !ss.schemaURL.isEmpty { out["schemaUrl"] = ss.schemaURL }
        return out
    }

    private static func json(span: OTLP.Span) -> [String: Any] {
        var out: [String: Any] = [
            "traceId": HexBytes.encode(span.traceID),
            "spanId": HexBytes.encode(span.spanID),
            "name": span.name,
            "kind": Int(span.kind),
            "startTimeUnixNano": String(span.startTimeUnixNano),
            "endTimeUnixNano": String(span.endTimeUnixNano),
            "attributes": span.attributes.map(json(keyValue:)),
            "status": json(status: span.status),
        ]
        if !span.parentSpanID.isEmpty { out["parentSpanId"] = HexBytes.encode(span.parentSpanID) }
        if !span.traceState.isEmpty { out["traceState"] = span.traceState }
        if span.flags != 0 { out["flags"] = span.flags }
        if span.droppedAttributesCount != 0 { out["droppedAttributesCount"] = span.droppedAttributesCount }
        if !span.events.isEmpty { out["events"] = span.events.map(json(event:)) }
        if span.droppedEventsCount != 0 { out["droppedEventsCount"] = span.droppedEventsCount }
        if !span.links.isEmpty { out["links"] = span.links.map(json(link:)) }
        if span.droppedLinksCount != 0 { out["droppedLinksCount"] = span.droppedLinksCount }
        return out
    }

    private static func json(status: OTLP.Status) -> [String: Any] {
        var out: [String: Any] = [:]
        if status.code != 0 { out["code"] = Int(status.code) }
        if !status.message.isEmpty { out["message"] = status.message }
        return out
    }

    private static func json(event: OTLP.Event) -> [String: Any] {
        var out: [String: Any] = [
            "timeUnixNano": String(event.timeUnixNano),
            "name": event.name,
            "attributes": event.attributes.map(json(keyValue:)),
        ]
        if event.droppedAttributesCount != 0 { out["droppedAttributesCount"] = event.droppedAttributesCount }
        return out
    }

    private static func json(link: OTLP.Link) -> [String: Any] {
        var out: [String: Any] = [
            "traceId": HexBytes.encode(link.traceID),
            "spanId": HexBytes.encode(link.spanID),
            "attributes": link.attributes.map(json(keyValue:)),
        ]
        if !link.traceState.isEmpty { out["traceState"] = link.traceState }
        if link.droppedAttributesCount != 0 { out["droppedAttributesCount"] = link.droppedAttributesCount }
        if link.flags != 0 { out["flags"] = link.flags }
        return out
    }

    /// An empty value is left out, as protobuf leaves it out: a `"value": {}` is one nesting level more,
    /// which at the depth limit the decoder (rightly) refuses.
    private static func json(keyValue kv: OTLP.KeyValue) -> [String: Any] {
        if case .empty = kv.value { return ["key": kv.key] }
        return ["key": kv.key, "value": json(anyValue: kv.value)]
    }

    private static func json(anyValue: OTLP.AnyValue) -> [String: Any] {
        switch anyValue {
        case .empty: return [:]
        case .string(let s): return ["stringValue": s]
        case .bool(let b): return ["boolValue": b]
        case .int(let i): return ["intValue": String(i)]
        case .double(let d):
            // JSON has no NaN/Infinity; proto3 JSON writes them as strings. A JSON `-0` reads back as
            // the integer 0, so negative zero is a string too (proto3 JSON accepts numbers as strings).
            if d.isNaN { return ["doubleValue": "NaN"] }
            if d.isInfinite { return ["doubleValue": d > 0 ? "Infinity" : "-Infinity"] }
            if d == 0 && d.sign == .minus { return ["doubleValue": "-0"] }
            return ["doubleValue": d]
        case .array(let values): return ["arrayValue": ["values": values.map(json(anyValue:))]]
        case .kvlist(let kvs): return ["kvlistValue": ["values": kvs.map(json(keyValue:))]]
        case .bytes(let b): return ["bytesValue": Data(b).base64EncodedString()]
        }
    }

    // MARK: Decoding

    public static func decodeRequest(_ bytes: some Collection<UInt8>) throws(DecodingError) -> OTLP.ExportTraceServiceRequest {
        let root = try parse(bytes)
        var request = OTLP.ExportTraceServiceRequest()
        for (i, element) in try root.array("resourceSpans", "resource_spans").enumerated() {
            request.resourceSpans.append(try resourceSpans(element.at("resourceSpans[\(i)]")))
        }
        return request
    }

    public static func decodeResponse(_ bytes: some Collection<UInt8>) throws(DecodingError) -> OTLP.ExportTraceServiceResponse {
        let root = try parse(bytes)
        guard let partial = try root.object("partialSuccess", "partial_success") else { return OTLP.ExportTraceServiceResponse() }
        return OTLP.ExportTraceServiceResponse(
            rejectedSpans: try partial.int64("rejectedSpans", "rejected_spans") ?? 0,
            errorMessage: try partial.string("errorMessage", "error_message") ?? ""
        )
    }

    private static func parse(_ bytes: some Collection<UInt8>) throws(DecodingError) -> OTLPJSONObject {
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw DecodingError(path: "", problem: "not valid JSON (\(error.localizedDescription))")
        }
        guard let dict = any as? [String: Any] else { throw DecodingError(path: "", problem: "expected a JSON object at the top level") }
        return OTLPJSONObject(dict: dict, path: "")
    }

    private static func resourceSpans(_ o: OTLPJSONObject) throws(DecodingError) -> OTLP.ResourceSpans {
        var rs = OTLP.ResourceSpans()
        if let r = try o.object("resource") {
            rs.resource.attributes = try keyValues(r, "attributes", depth: Depth.resourceAttribute)
            rs.resource.droppedAttributesCount = try r.uint32("droppedAttributesCount", "dropped_attributes_count") ?? 0
        }
        for (i, element) in try o.array("scopeSpans", "scope_spans").enumerated() {
            rs.scopeSpans.append(try scopeSpans(element.at("\(o.path).scopeSpans[\(i)]")))
        }
        rs.schemaURL = try o.string("schemaUrl", "schema_url") ?? ""
        return rs
    }

    private static func scopeSpans(_ o: OTLPJSONObject) throws(DecodingError) -> OTLP.ScopeSpans {
        var ss = OTLP.ScopeSpans()
        if let s = try o.object("scope") {
            ss.scope.name = try s.string("name") ?? ""
            ss.scope.version = try s.string("version") ?? ""
            ss.scope.attributes = try keyValues(s, "attributes", depth: Depth.scopeAttribute)
            ss.scope.droppedAttributesCount = try s.uint32("droppedAttributesCount", "dropped_attributes_count") ?? 0
        }
        for (i, element) in try o.array("spans").enumerated() {
            ss.spans.append(try span(element.at("\(o.path).spans[\(i)]")))
        }
        ss.schemaURL = try o.string("schemaUrl", "schema_url") ?? ""
        return ss
    }

    private static func span(_ o: OTLPJSONObject) throws(DecodingError) -> OTLP.Span {
        var s = OTLP.Span()
        s.traceID = try o.hexBytes("traceId", "trace_id")
        s.spanID = try o.hexBytes("spanId", "span_id")
        s.traceState = try o.string("traceState", "trace_state") ?? ""
        s.parentSpanID = try o.hexBytes("parentSpanId", "parent_span_id")
        s.flags = try o.uint32("flags") ?? 0
        s.name = try o.string("name") ?? ""
        s.kind = try o.enumValue("kind", names: spanKindNames) ?? 0
        s.startTimeUnixNano = try o.uint64("startTimeUnixNano", "start_time_unix_nano") ?? 0
        s.endTimeUnixNano = try o.uint64("endTimeUnixNano", "end_time_unix_nano") ?? 0
        s.attributes = try keyValues(o, "attributes", depth: Depth.spanAttribute)
        s.droppedAttributesCount = try o.uint32("droppedAttributesCount", "dropped_attributes_count") ?? 0
        for (i, element) in try o.array("events").enumerated() {
            let e = try element.at("\(o.path).events[\(i)]")
            s.events.append(
                OTLP.Event(
                    timeUnixNano: try e.uint64("timeUnixNano", "time_unix_nano") ?? 0,
                    name: try e.string("name") ?? "",
                    attributes: try keyValues(e, "attributes", depth: Depth.eventAttribute),
                    droppedAttributesCount: try e.uint32("droppedAttributesCount", "dropped_attributes_count") ?? 0
                ))
        }
        s.droppedEventsCount = try o.uint32("droppedEventsCount", "dropped_events_count") ?? 0
        for (i, element) in try o.array("links").enumerated() {
            let l = try element.at("\(o.path).links[\(i)]")
            s.links.append(
                OTLP.Link(
                    traceID: try l.hexBytes("traceId", "trace_id"),
                    spanID: try l.hexBytes("spanId", "span_id"),
                    traceState: try l.string("traceState", "trace_state") ?? "",
                    attributes: try keyValues(l, "attributes", depth: Depth.linkAttribute),
                    droppedAttributesCount: try l.uint32("droppedAttributesCount", "dropped_attributes_count") ?? 0,
                    flags: try l.uint32("flags") ?? 0
                ))
        }
        s.droppedLinksCount = try o.uint32("droppedLinksCount", "dropped_links_count") ?? 0
        if let status = try o.object("status") {
            s.status.message = try status.string("message") ?? ""
            s.status.code = try status.enumValue("code", names: statusCodeNames) ?? 0
        }
        return s
    }

    private static let spanKindNames: [String: Int32] = [
        "SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
        "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
    ]
    private static let statusCodeNames: [String: Int32] = ["STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2]

    /// The protobuf nesting level of each kind of attribute (`KeyValue`), counting the request as 0,
    /// as `ProtobufReader` counts: the store keeps records in protobuf, so OTLP/JSON must stay within
    /// `OTLP.maxNestingDepth` exactly as the protobuf decoder does, or the store could not read it back.
    private enum Depth {
        static let resourceAttribute = 3 // request → resource_spans → resource → attributes
        static let scopeAttribute = 4 // … → scope_spans → scope → attributes
        static let spanAttribute = 4 // … → scope_spans → spans → attributes
        static let eventAttribute = 5 // … → spans → events → attributes
        static let linkAttribute = 5 // … → spans → links → attributes
    }

    private static func tooDeep(_ path: String) -> DecodingError {
        DecodingError(
            path: path,
            problem: "values nested deeper than \(OTLP.maxNestingDepth) protobuf levels (the limit of protobuf decoders; "
                + "each kvlistValue adds 3 levels, each arrayValue 2)")
    }

    /// `KeyValue`s at protobuf nesting level `depth`.
    private static func keyValues(_ o: OTLPJSONObject, _ key: String, depth: Int) throws(DecodingError) -> [OTLP.KeyValue] {
        var out: [OTLP.KeyValue] = []
        for (i, element) in try o.array(key).enumerated() {
            let path = "\(o.path).\(key)[\(i)]"
            guard depth <= OTLP.maxNestingDepth else { throw tooDeep(path) }
            out.append(try keyValue(element.at(path), depth: depth))
        }
        return out
    }

    private static func keyValue(_ o: OTLPJSONObject, depth: Int) throws(DecodingError) -> OTLP.KeyValue {
        let key = try o.string("key") ?? ""
        let value = try o.object("value").map { v throws(DecodingError) in try anyValue(v, depth: depth + 1) } ?? .empty
        return OTLP.KeyValue(key, value)
    }

    /// An `AnyValue` at protobuf nesting level `depth`; an array or kvlist inside it is one level deeper.
    private static func anyValue(_ o: OTLPJSONObject, depth: Int) throws(DecodingError) -> OTLP.AnyValue {
        guard depth <= OTLP.maxNestingDepth else { throw tooDeep(o.path) }
        if let s = try o.string("stringValue", "string_value") { return .string(s) }
        if let b = try o.bool("boolValue", "bool_value") { return .bool(b) }
        if let i = try o.int64("intValue", "int_value") { return .int(i) }
        if let d = try o.double("doubleValue", "double_value") { return .double(d) }
        if let a = try o.object("arrayValue", "array_value") {
            guard depth + 1 <= OTLP.maxNestingDepth else { throw tooDeep(a.path) }
            var values: [OTLP.AnyValue] = []
            for (i, element) in try a.array("values").enumerated() {
                values.append(try anyValue(element.at("\(a.path).values[\(i)]"), depth: depth + 2))
            }
            return .array(values)
        }
        if let kv = try o.object("kvlistValue", "kvlist_value") {
            guard depth + 1 <= OTLP.maxNestingDepth else { throw tooDeep(kv.path) }
            return .kvlist(try keyValues(kv, "values", depth: depth + 2))
        }
        if let b64 = try o.string("bytesValue", "bytes_value") {
            guard let data = Data(base64Encoded: b64) else {
                throw DecodingError(path: "\(o.path).bytesValue", problem: "expected base64")
            }
            return .bytes(Array(data))
        }
        return .empty
    }
}

/// A JSON object being decoded, with the path that error messages name.
private struct OTLPJSONObject {
    let dict: [String: Any]
    let path: String

    /// The first present key among a field's accepted spellings (lowerCamelCase, snake_case).
    private func lookup(_ keys: [String]) -> (key: String, value: Any)? {
        for key in keys {
            if let v = dict[key], !(v is NSNull) { return (key, v) }
        }
        return nil
    }

    private func fail(_ key: String, _ problem: String) -> OTLPJSON.DecodingError {
        OTLPJSON.DecodingError(path: path.isEmpty ? key : "\(path).\(key)", problem: problem)
    }

    func string(_ keys: String...) throws(OTLPJSON.DecodingError) -> String? {
        guard let (key, v) = lookup(keys) else { return nil }
        guard let s = v as? String else { throw fail(key, "expected a string") }
        return s
    }

    func bool(_ keys: String...) throws(OTLPJSON.DecodingError) -> Bool? {
        guard let (key, v) = lookup(keys) else { return nil }
        guard OTLPJSONNumber.isBool(v), let b = v as? Bool else { throw fail(key, "expected true or false") }
        return b
    }

    /// int64 may be a JSON number or a decimal string.
    func int64(_ keys: String...) throws(OTLPJSON.DecodingError) -> Int64? {
        guard let (key, v) = lookup(keys) else { return nil }
        if let s = v as? String {
            guard let i = Int64(s) else { throw fail(key, "expected a 64-bit integer, got \"\(s)\"") }
            return i
        }
        guard !OTLPJSONNumber.isBool(v), let n = v as? NSNumber, let i = OTLPJSONNumber.exactInt64(n) else {
            throw fail(key, "expected a 64-bit integer")
        }
        return i
    }

    /// fixed64/uint64 may be a JSON number or a decimal string.
    func uint64(_ keys: String...) throws(OTLPJSON.DecodingError) -> UInt64? {
        guard let (key, v) = lookup(keys) else { return nil }
        if let s = v as? String {
            guard let u = UInt64(s) else { throw fail(key, "expected an unsigned 64-bit integer, got \"\(s)\"") }
            return u
        }
        guard !OTLPJSONNumber.isBool(v), let n = v as? NSNumber, let u = OTLPJSONNumber.exactUInt64(n) else {
            throw fail(key, "expected an unsigned 64-bit integer")
        }
        return u
    }

    func uint32(_ keys: String...) throws(OTLPJSON.DecodingError) -> UInt32? {
        guard let (key, v) = lookup(keys) else { return nil }
        let u: UInt64?
        if let s = v as? String {
            u = UInt64(s)
        } else if !OTLPJSONNumber.isBool(v), let n = v as? NSNumber {
            u = OTLPJSONNumber.exactUInt64(n)
        } else {
            u = nil
        }
        guard let u, let u32 = UInt32(exactly: u) else { throw fail(key, "expected an unsigned 32-bit integer") }
        return u32
    }

    func double(_ keys: String...) throws(OTLPJSON.DecodingError) -> Double? {
        guard let (key, v) = lookup(keys) else { return nil }
        if let s = v as? String {
            switch s {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default:
                guard let d = Double(s) else { throw fail(key, "expected a number, got \"\(s)\"") }
                // "-NaN" or "nan(0x5)" carry sign or payload bits that protobuf would keep and its
                // decoder drops: every NaN reads as the canonical one, as in the protobuf decoder.
                return d.isNaN ? .nan : d
            }
        }
        guard !OTLPJSONNumber.isBool(v), let n = v as? NSNumber else { throw fail(key, "expected a number") }
        return OTLPJSONNumber.exactDouble(n)
    }

    /// An enum as its integer value (what OTLP writes) or its name (what proto3 JSON allows).
    func enumValue(_ key: String, names: [String: Int32]) throws(OTLPJSON.DecodingError) -> Int32? {
        guard let (_, v) = lookup([key]) else { return nil }
        if let s = v as? String {
            guard let value = names[s] else { throw fail(key, "unknown enum name \"\(s)\"") }
            return value
        }
        guard !OTLPJSONNumber.isBool(v), let n = v as? NSNumber, let i = OTLPJSONNumber.exactInt64(n), let i32 = Int32(exactly: i) else {
            throw fail(key, "expected an enum number or name")
        }
        return i32
    }

    /// Trace and span ids: HEX in OTLP/JSON (an explicit exception to proto3's base64).
    func hexBytes(_ keys: String...) throws(OTLPJSON.DecodingError) -> [UInt8] {
        guard let (key, v) = lookup(keys) else { return [] }
        guard let s = v as? String else { throw fail(key, "expected a hex string") }
        guard let bytes = HexBytes.decode(s) else {
            throw fail(key, "expected hex digits (OTLP/JSON ids are hex, not base64), got \"\(s)\"")
        }
        return bytes
    }

    func object(_ keys: String...) throws(OTLPJSON.DecodingError) -> OTLPJSONObject? {
        guard let (key, v) = lookup(keys) else { return nil }
        guard let d = v as? [String: Any] else { throw fail(key, "expected an object") }
        return OTLPJSONObject(dict: d, path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// Elements of a JSON array of objects; a missing array is empty.
    func array(_ keys: String...) throws(OTLPJSON.DecodingError) -> [OTLPJSONElement] {
        guard let (key, v) = lookup(keys) else { return [] }
        guard let a = v as? [Any] else { throw fail(key, "expected an array") }
        return a.map { OTLPJSONElement(value: $0) }
    }
}

/// An array element not yet known to be an object; `at(path)` checks that it is.
private struct OTLPJSONElement {
    let value: Any
    func at(_ path: String) throws(OTLPJSON.DecodingError) -> OTLPJSONObject {
        guard let dict = value as? [String: Any] else { throw OTLPJSON.DecodingError(path: path, problem: "expected an object") }
        return OTLPJSONObject(dict: dict, path: path)
    }
}

private enum OTLPJSONNumber {
    /// Foundation parses `true`/`false` into NSNumber too; its objCType "c" tells them apart.
    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    /// The double the JSON text denotes. Foundation parses a number with many digits
    /// (`0.2500000002219167`) into an NSDecimalNumber, whose `doubleValue` can be one unit in the
    /// last place off; its description is the number as written, which `Double(_:)` rounds correctly.
    static func exactDouble(_ n: NSNumber) -> Double {
        if let decimal = n as? NSDecimalNumber, let exact = Double(decimal.description) { return exact }
        return n.doubleValue
    }

    static func exactInt64(_ n: NSNumber) -> Int64? {
        let type = String(cString: n.objCType)
        if type == "d" || type == "f" { return Int64(exactly: n.doubleValue) }
        if type == "Q" { return Int64(exactly: n.uint64Value) }
        return n.int64Value
    }

    static func exactUInt64(_ n: NSNumber) -> UInt64? {
        let type = String(cString: n.objCType)
        if type == "d" || type == "f" { return UInt64(exactly: n.doubleValue) }
        if type == "Q" { return n.uint64Value }
        let i = n.int64Value
        return i < 0 ? nil : UInt64(i)
    }
}

/// Lowercase hex for arbitrary byte strings (ids of any length, so malformed ones can be reported).
public enum HexBytes {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil unless the string is an even number of hex digits (either case).
    public static func decode(_ s: String) -> [UInt8]? {
        let utf8 = Array(s.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
