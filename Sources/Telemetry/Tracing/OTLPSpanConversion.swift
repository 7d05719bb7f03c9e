import Tracing

/// Turning a finished span into the OTLP data model. Kept apart from `TelemetrySpan` so the mapping
/// rules (kinds, status codes, attribute types, flags) can be read in one place.
extension TelemetrySpan {
    func otlpSpan(_ state: State, endNanoseconds: UInt64, limits: SpanLimits) -> OTLP.Span {
        let (attributes, droppedAttributes) = Self.otlpAttributes(state.attributes, limit: limits.maxAttributes)
        var span = OTLP.Span(
            traceID: spanContext.traceID.bytes,
            spanID: spanContext.spanID.bytes,
            traceState: spanContext.traceState,
            parentSpanID: parent?.spanID.bytes ?? [],
            flags: Self.otlpFlags(spanContext.traceFlags, parentIsRemote: parent?.isRemote),
            name: state.name,
            kind: Self.otlpKind(kind).rawValue,
            startTimeUnixNano: startNanoseconds,
            endTimeUnixNano: max(endNanoseconds, startNanoseconds),
            attributes: attributes,
            droppedAttributesCount: droppedAttributes,
            droppedEventsCount: state.droppedEvents,
            droppedLinksCount: state.droppedLinks
        )
        span.events = state.events.map { event in
            let (attributes, dropped) = Self.otlpAttributes(event.attributes, limit: limits.maxAttributesPerEvent)
            return OTLP.Event(timeUnixNano: event.nanosecondsSinceEpoch, name: event.name, attributes: attributes,
                              droppedAttributesCount: dropped)
        }
        for link in state.links {
            guard let target = link.context.spanContext else {
                span.droppedLinksCount += 1  // a link needs a span context to point at
                continue
            }
            let (attributes, dropped) = Self.otlpAttributes(link.attributes, limit: limits.maxAttributesPerLink)
            span.links.append(OTLP.Link(
                traceID: target.traceID.bytes, spanID: target.spanID.bytes, traceState: target.traceState,
                attributes: attributes, droppedAttributesCount: dropped,
                flags: Self.otlpFlags(target.traceFlags, parentIsRemote: target.isRemote)))
        }
        if let status = state.status {
            switch status.code {
            case .ok: span.status = OTLP.Status(code: 1)
            case .error: span.status = OTLP.Status(message: status.message ?? "", code: 2)
            }
        }
        return span
    }

    /// OTLP span flags: the W3C trace flags in bits 0-7; bit 8 says bit 9 is meaningful; bit 9 says
    /// the parent (or linked span) was remote.
    static func otlpFlags(_ traceFlags: UInt8, parentIsRemote: Bool?) -> UInt32 {
        var flags = UInt32(traceFlags)
        if let remote = parentIsRemote {
            flags |= 0x100
            if remote { flags |= 0x200 }
        }
        return flags
    }

    static func otlpKind(_ kind: SpanKind) -> OTLP.SpanKind {
        switch kind {
        case .internal: .internal
        case .server: .server
        case .client: .client
        case .producer: .producer
        case .consumer: .consumer
        }
    }

    /// Attributes sorted by key (the facade stores a dictionary; sorting makes output and the choice of
    /// what to drop over the limit deterministic).
    static func otlpAttributes(_ attributes: SpanAttributes, limit: Int) -> ([OTLP.KeyValue], UInt32) {
        var pairs: [OTLP.KeyValue] = []
        pairs.reserveCapacity(attributes.count)
        attributes.forEach { key, value in
            if let converted = anyValue(value) { pairs.append(OTLP.KeyValue(key, converted)) }
        }
        pairs.sort { $0.key < $1.key }
        guard pairs.count > limit else { return (pairs, 0) }
        return (Array(pairs.prefix(limit)), UInt32(pairs.count - limit))
    }

    /// SpanAttribute → AnyValue. Arrays become `array_value` of homogeneous members;
    /// `CustomStringConvertible` values are sent as their description.
    static func anyValue(_ attribute: SpanAttribute) -> OTLP.AnyValue? {
        switch attribute {
        case .int32(let v): .int(Int64(v))
        case .int64(let v): .int(v)
        case .int32Array(let v): .array(v.map { .int(Int64($0)) })
        case .int64Array(let v): .array(v.map { .int($0) })
        case .double(let v): .double(v)
        case .doubleArray(let v): .array(v.map { .double($0) })
        case .bool(let v): .bool(v)
        case .boolArray(let v): .array(v.map { .bool($0) })
        case .string(let v): .string(v)
        case .stringArray(let v): .array(v.map { .string($0) })
        case .stringConvertible(let v): .string(v.description)
        case .stringConvertibleArray(let v): .array(v.map { .string($0.description) })
        default: nil
        }
    }
}
