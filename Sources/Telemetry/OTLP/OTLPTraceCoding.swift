/// Protobuf encoding and decoding of the OTLP trace messages (field numbers as in OTLPModel.swift).
/// Encoding follows proto3 (defaults omitted); decoding skips unknown fields and merges repeated
/// singular messages, so payloads from newer OTLP versions still decode.

extension OTLP.ExportTraceServiceRequest: ProtobufMessage {
    public init() { self.init(resourceSpans: []) }

    /// Decodes an OTLP/HTTP protobuf request body. Throws `OTLPDecodingError` on malformed input.
    public init(protobuf bytes: some Collection<UInt8>) throws {
        try self.init(serialized: bytes)
    }

    /// The OTLP/HTTP protobuf request body (`Content-Type: application/x-protobuf`).
    public func protobufBytes() -> [UInt8] { serialized() }

    func encode(to w: inout ProtobufWriter) {
        w.repeated(1, resourceSpans)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): resourceSpans.append(try r.message("resource_spans"))
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.ExportTraceServiceResponse: ProtobufMessage {
    public init() { self.init(rejectedSpans: 0) }

    /// Decodes an OTLP/HTTP protobuf response body. Throws `OTLPDecodingError` on malformed input.
    public init(protobuf bytes: some Collection<UInt8>) throws {
        try self.init(serialized: bytes)
    }

    /// The response body; empty (no `partial_success`) when everything was accepted.
    public func protobufBytes() -> [UInt8] { serialized() }

    /// ExportTracePartialSuccess, the only field of the response.
    private struct PartialSuccess: ProtobufMessage {
        var rejectedSpans: Int64 = 0
        var errorMessage = ""

        func encode(to w: inout ProtobufWriter) {
            w.int64(1, rejectedSpans)
            w.string(2, errorMessage)
        }

        mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
            while let tag = try r.nextField() {
                switch (tag.number, tag.wireType) {
                case (1, .varint): rejectedSpans = try r.int64("rejected_spans")
                case (2, .lengthDelimited): errorMessage = try r.string("error_message")
                default: try r.skipUnknown(tag)
                }
            }
        }
    }

    func encode(to w: inout ProtobufWriter) {
        w.message(1, PartialSuccess(rejectedSpans: rejectedSpans, errorMessage: errorMessage))
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited):
                var partial = PartialSuccess(rejectedSpans: rejectedSpans, errorMessage: errorMessage)
                try r.merge("partial_success", into: &partial)
                rejectedSpans = partial.rejectedSpans
                errorMessage = partial.errorMessage
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.ResourceSpans: ProtobufMessage {
    public init() { self.init(resource: OTLP.Resource()) }

    func encode(to w: inout ProtobufWriter) {
        w.message(1, resource)
        w.repeated(2, scopeSpans)
        w.string(3, schemaURL)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): try r.merge("resource", into: &resource)
            case (2, .lengthDelimited): scopeSpans.append(try r.message("scope_spans"))
            case (3, .lengthDelimited): schemaURL = try r.string("schema_url")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.Resource: ProtobufMessage {
    public init() { self.init(attributes: []) }

    func encode(to w: inout ProtobufWriter) {
        w.repeated(1, attributes)
        w.uint32(2, droppedAttributesCount)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): attributes.append(try r.message("attributes"))
            case (2, .varint): droppedAttributesCount = try r.uint32("dropped_attributes_count")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.ScopeSpans: ProtobufMessage {
    public init() { self.init(scope: OTLP.InstrumentationScope()) }

    func encode(to w: inout ProtobufWriter) {
        w.message(1, scope)
        w.repeated(2, spans)
        w.string(3, schemaURL)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): try r.merge("scope", into: &scope)
            case (2, .lengthDelimited): spans.append(try r.message("spans"))
            case (3, .lengthDelimited): schemaURL = try r.string("schema_url")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.InstrumentationScope: ProtobufMessage {
    public init() { self.init(name: "") }

    func encode(to w: inout ProtobufWriter) {
        w.string(1, name)
        w.string(2, version)
        w.repeated(3, attributes)
        w.uint32(4, droppedAttributesCount)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): name = try r.string("name")
            case (2, .lengthDelimited): version = try r.string("version")
            case (3, .lengthDelimited): attributes.append(try r.message("attributes"))
            case (4, .varint): droppedAttributesCount = try r.uint32("dropped_attributes_count")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.Span: ProtobufMessage {
    public init() { self.init(traceID: []) }

    func encode(to w: inout ProtobufWriter) {
        w.bytes(1, traceID)
        w.bytes(2, spanID)
        w.string(3, traceState)
        w.bytes(4, parentSpanID)
        w.string(5, name)
        w.int32(6, kind)
        w.fixed64(7, startTimeUnixNano)
        w.fixed64(8, endTimeUnixNano)
        w.repeated(9, attributes)
        Self.encodeFields10To16(
            to: &w, droppedAttributesCount: droppedAttributesCount, events: events, droppedEventsCount: droppedEventsCount,
            links: links, droppedLinksCount: droppedLinksCount, status: status, flags: flags)
    }

    /// Span's fields after the attributes, shared with `FinishedSpan`'s direct encoding so that their
    /// numbers and order live in one place.
    static func encodeFields10To16(
        to w: inout ProtobufWriter, droppedAttributesCount: UInt32, events: [OTLP.Event], droppedEventsCount: UInt32,
        links: [OTLP.Link], droppedLinksCount: UInt32, status: OTLP.Status, flags: UInt32
    ) {
        w.uint32(10, droppedAttributesCount)
        w.repeated(11, events)
        w.uint32(12, droppedEventsCount)
        w.repeated(13, links)
        w.uint32(14, droppedLinksCount)
        w.message(15, status)
        w.fixed32(16, flags)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): traceID = try r.bytes("trace_id")
            case (2, .lengthDelimited): spanID = try r.bytes("span_id")
            case (3, .lengthDelimited): traceState = try r.string("trace_state")
            case (4, .lengthDelimited): parentSpanID = try r.bytes("parent_span_id")
            case (5, .lengthDelimited): name = try r.string("name")
            case (6, .varint): kind = try r.int32("kind")
            case (7, .fixed64): startTimeUnixNano = try r.fixed64("start_time_unix_nano")
            case (8, .fixed64): endTimeUnixNano = try r.fixed64("end_time_unix_nano")
            case (9, .lengthDelimited): attributes.append(try r.message("attributes"))
            case (10, .varint): droppedAttributesCount = try r.uint32("dropped_attributes_count")
            case (11, .lengthDelimited): events.append(try r.message("events"))
            case (12, .varint): droppedEventsCount = try r.uint32("dropped_events_count")
            case (13, .lengthDelimited): links.append(try r.message("links"))
            case (14, .varint): droppedLinksCount = try r.uint32("dropped_links_count")
            case (15, .lengthDelimited): try r.merge("status", into: &status)
            case (16, .fixed32): flags = try r.fixed32("flags")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.Event: ProtobufMessage {
    public init() { self.init(timeUnixNano: 0) }

    func encode(to w: inout ProtobufWriter) {
        w.fixed64(1, timeUnixNano)
        w.string(2, name)
        w.repeated(3, attributes)
        w.uint32(4, droppedAttributesCount)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .fixed64): timeUnixNano = try r.fixed64("time_unix_nano")
            case (2, .lengthDelimited): name = try r.string("name")
            case (3, .lengthDelimited): attributes.append(try r.message("attributes"))
            case (4, .varint): droppedAttributesCount = try r.uint32("dropped_attributes_count")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.Link: ProtobufMessage {
    public init() { self.init(traceID: []) }

    func encode(to w: inout ProtobufWriter) {
        w.bytes(1, traceID)
        w.bytes(2, spanID)
        w.string(3, traceState)
        w.repeated(4, attributes)
        w.uint32(5, droppedAttributesCount)
        w.fixed32(6, flags)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): traceID = try r.bytes("trace_id")
            case (2, .lengthDelimited): spanID = try r.bytes("span_id")
            case (3, .lengthDelimited): traceState = try r.string("trace_state")
            case (4, .lengthDelimited): attributes.append(try r.message("attributes"))
            case (5, .varint): droppedAttributesCount = try r.uint32("dropped_attributes_count")
            case (6, .fixed32): flags = try r.fixed32("flags")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.Status: ProtobufMessage {
    public init() { self.init(message: "") }

    func encode(to w: inout ProtobufWriter) {
        w.string(2, message)
        w.int32(3, code)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (2, .lengthDelimited): message = try r.string("message")
            case (3, .varint): code = try r.int32("code")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.KeyValue: ProtobufMessage {
    public init() { self.init("", .empty) }

    func encode(to w: inout ProtobufWriter) {
        w.string(1, key)
        w.message(2, value)
    }

    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): key = try r.string("key")
            case (2, .lengthDelimited): try r.merge("value", into: &value)
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.AnyValue: ProtobufMessage {
    public init() { self = .empty }

    /// ArrayValue { repeated AnyValue values = 1; }
    private struct ArrayValue: ProtobufMessage {
        var values: [OTLP.AnyValue] = []
        func encode(to w: inout ProtobufWriter) { w.repeated(1, values) }
        mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
            while let tag = try r.nextField() {
                switch (tag.number, tag.wireType) {
                case (1, .lengthDelimited): values.append(try r.message("values"))
                default: try r.skipUnknown(tag)
                }
            }
        }
    }

    /// KeyValueList { repeated KeyValue values = 1; }
    private struct KeyValueList: ProtobufMessage {
        var values: [OTLP.KeyValue] = []
        func encode(to w: inout ProtobufWriter) { w.repeated(1, values) }
        mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
            while let tag = try r.nextField() {
                switch (tag.number, tag.wireType) {
                case (1, .lengthDelimited): values.append(try r.message("values"))
                default: try r.skipUnknown(tag)
                }
            }
        }
    }

    /// Oneof members are written even when they hold the default value: `int_value = 0` is a value.
    func encode(to w: inout ProtobufWriter) {
        switch self {
        case .empty: break
        case .string(let v): w.string(1, v, always: true)
        case .bool(let v): w.bool(2, v, always: true)
        case .int(let v): w.int64(3, v, always: true)
        case .double(let v): w.double(4, v, always: true)
        case .array(let v): w.message(5, ArrayValue(values: v), always: true)
        case .kvlist(let v): w.message(6, KeyValueList(values: v), always: true)
        case .bytes(let v): w.bytes(7, v, always: true)
        }
    }

    /// The last oneof member on the wire wins; a repeated array/kvlist member merges (appends).
    mutating func merge(from r: inout ProtobufReader) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): self = .string(try r.string("string_value"))
            case (2, .varint): self = .bool(try r.bool("bool_value"))
            case (3, .varint): self = .int(try r.int64("int_value"))
            case (4, .fixed64): self = .double(try r.double("double_value"))
            case (5, .lengthDelimited):
                var array = ArrayValue()
                if case .array(let existing) = self { array.values = existing }
                try r.merge("array_value", into: &array)
                self = .array(array.values)
            case (6, .lengthDelimited):
                var list = KeyValueList()
                if case .kvlist(let existing) = self { list.values = existing }
                try r.merge("kvlist_value", into: &list)
                self = .kvlist(list.values)
            case (7, .lengthDelimited): self = .bytes(try r.bytes("bytes_value"))
            default: try r.skipUnknown(tag)
            }
        }
    }
}
