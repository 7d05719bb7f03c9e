/// Decoding only some spans of a request: what a trace store needs to read a few traces back from
/// records that each hold one exporter batch (a thousand spans of two hundred traces). Every other span
/// is stepped over after reading its `trace_id`, so reading 20 traces from 20 batches decodes their
/// spans, not the 20,000 around them. The bytes are checked as far as they are read; a record that the
/// full decoder accepts decodes here to the same spans.
extension OTLP.ExportTraceServiceRequest {
    public init(protobuf bytes: [UInt8], keepingSpansWhere keep: (_ traceID: ArraySlice<UInt8>) -> Bool) throws {
        self.init()
        var r = ProtobufReader(bytes)
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited):
                var child = try r.embedded("resource_spans")
                var resourceSpans = OTLP.ResourceSpans()
                try Self.named("resource_spans") { () throws(OTLPDecodingError) in try resourceSpans.merge(from: &child, keeping: keep) }
                if resourceSpans.scopeSpans.contains(where: { !$0.spans.isEmpty }) { self.resourceSpans.append(resourceSpans) }
            default: try r.skipUnknown(tag)
            }
        }
    }

    fileprivate static func named(_ name: String, _ body: () throws(OTLPDecodingError) -> Void) throws(OTLPDecodingError) {
        do {
            try body()
        } catch {
            var e = error
            e.fieldPath.insert(name, at: 0)
            throw e
        }
    }
}

extension OTLP.ResourceSpans {
    fileprivate mutating func merge(from r: inout ProtobufReader, keeping keep: (ArraySlice<UInt8>) -> Bool) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): try r.merge("resource", into: &resource)
            case (2, .lengthDelimited):
                var child = try r.embedded("scope_spans")
                var scopeSpans = OTLP.ScopeSpans()
                try OTLP.ExportTraceServiceRequest.named("scope_spans") { () throws(OTLPDecodingError) in
                    try scopeSpans.merge(from: &child, keeping: keep)
                }
                self.scopeSpans.append(scopeSpans)
            case (3, .lengthDelimited): schemaURL = try r.string("schema_url")
            default: try r.skipUnknown(tag)
            }
        }
    }
}

extension OTLP.ScopeSpans {
    fileprivate mutating func merge(from r: inout ProtobufReader, keeping keep: (ArraySlice<UInt8>) -> Bool) throws(OTLPDecodingError) {
        while let tag = try r.nextField() {
            switch (tag.number, tag.wireType) {
            case (1, .lengthDelimited): try r.merge("scope", into: &scope)
            case (2, .lengthDelimited):
                var child = try r.embedded("spans")
                let traceID = try child.peekBytes(field: 1) ?? []
                guard keep(traceID) else { continue }
                var span = OTLP.Span()
                try OTLP.ExportTraceServiceRequest.named("spans") { () throws(OTLPDecodingError) in try span.merge(from: &child) }
                spans.append(span)
            case (3, .lengthDelimited): schemaURL = try r.string("schema_url")
            default: try r.skipUnknown(tag)
            }
        }
    }
}
