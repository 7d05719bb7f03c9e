import Tracing

/// From a span's state to a `FinishedSpan` (at `end()`, on the caller's thread: only what is cheap),
/// and from a `FinishedSpan` to the OTLP data model. The mapping rules — kinds, status codes,
/// attribute types, flags, limits — are in this one file.
extension TelemetrySpan {
    func finishedSpan(_ state: State, endNanoseconds: UInt64, limits: SpanLimits) -> FinishedSpan {
        var span = FinishedSpan(
            traceID: spanContext.traceID,
            spanID: spanContext.spanID,
            traceState: spanContext.traceState,
            parentSpanID: parent?.spanID,
            flags: OTLPMapping.flags(spanContext.traceFlags, parentIsRemote: parent?.isRemote),
            name: state.name,
            kind: kind,
            startNanoseconds: startNanoseconds,
            endNanoseconds: max(endNanoseconds, startNanoseconds),
            attributes: state.attributes,
            httpServer: state.httpServer,
            droppedEventsCount: state.droppedEvents,
            droppedLinksCount: state.droppedLinks
        )
        if state.attributes.count + (state.httpServer?.count ?? 0) > limits.maxAttributes {
            var all = state
            all.materializeHTTPServer()
            span.httpServer = nil
            (span.attributes, span.droppedAttributesCount) = OTLPMapping.keepFirst(limits.maxAttributes, of: all.attributes)
        }
        if !state.events.isEmpty {
            span.events = state.events.map { event in
                let (attributes, dropped) = OTLPMapping.keyValues(event.attributes, limit: limits.maxAttributesPerEvent)
                return OTLP.Event(
                    timeUnixNano: event.nanosecondsSinceEpoch, name: event.name, attributes: attributes,
                    droppedAttributesCount: dropped)
            }
        }
        for link in state.links {
            guard let target = link.context.spanContext else {
                span.droppedLinksCount += 1 // a link needs a span context to point at
                continue
            }
            let (attributes, dropped) = OTLPMapping.keyValues(link.attributes, limit: limits.maxAttributesPerLink)
            span.links.append(
                OTLP.Link(
                    traceID: target.traceID.bytes, spanID: target.spanID.bytes, traceState: target.traceState,
                    attributes: attributes, droppedAttributesCount: dropped,
                    flags: OTLPMapping.flags(target.traceFlags, parentIsRemote: target.isRemote)))
        }
        if let status = state.status {
            switch status.code {
            case .ok: span.status = OTLP.Status(code: 1)
            case .error: span.status = OTLP.Status(message: status.message ?? "", code: 2)
            }
        }
        return span
    }
}

extension FinishedSpan {
    /// The dictionary and the compact HTTP attributes together.
    public var allAttributes: SpanAttributes {
        guard let httpServer else { return attributes }
        var all = attributes
        httpServer.merge(into: &all)
        return all
    }

    /// The OTLP model of this span: what the exporter's bytes decode to, with the attributes sorted
    /// by key (the wire carries them in the dictionary's order).
    public var otlp: OTLP.Span {
        OTLP.Span(
            traceID: traceID.bytes,
            spanID: spanID.bytes,
            traceState: traceState,
            parentSpanID: parentSpanID?.bytes ?? [],
            flags: flags,
            name: name,
            kind: OTLPMapping.kind(kind).rawValue,
            startTimeUnixNano: startNanoseconds,
            endTimeUnixNano: endNanoseconds,
            attributes: OTLPMapping.keyValues(allAttributes, limit: .max).keyValues,
            droppedAttributesCount: droppedAttributesCount,
            events: events,
            droppedEventsCount: droppedEventsCount,
            links: links,
            droppedLinksCount: droppedLinksCount,
            status: status
        )
    }
}

enum OTLPMapping {
    /// OTLP span flags: the W3C trace flags in bits 0-7; bit 8 says bit 9 is meaningful; bit 9 says
    /// the parent (or linked span) was remote.
    static func flags(_ traceFlags: UInt8, parentIsRemote: Bool?) -> UInt32 {
        var flags = UInt32(traceFlags)
        if let remote = parentIsRemote {
            flags |= 0x100
            if remote { flags |= 0x200 }
        }
        return flags
    }

    static func kind(_ kind: SpanKind) -> OTLP.SpanKind {
        switch kind {
        case .internal: .internal
        case .server: .server
        case .client: .client
        case .producer: .producer
        case .consumer: .consumer
        }
    }

    /// Over the limit, which attributes stay must not depend on the dictionary's order: the first
    /// `limit` keys in sorted order are kept.
    static func keepFirst(_ limit: Int, of attributes: SpanAttributes) -> (SpanAttributes, dropped: UInt32) {
        var all: [(String, SpanAttribute)] = []
        all.reserveCapacity(attributes.count)
        attributes.forEach { key, value in all.append((key, value)) }
        all.sort { $0.0 < $1.0 }
        var kept: [String: SpanAttribute] = [:]
        for (key, value) in all.prefix(limit) { kept[key] = value }
        return (SpanAttributes(kept), UInt32(all.count - min(limit, all.count)))
    }

    /// Attributes as OTLP key-values sorted by key (the facade stores a dictionary; sorting makes the
    /// model deterministic and the choice of what to drop over the limit too).
    static func keyValues(_ attributes: SpanAttributes, limit: Int) -> (keyValues: [OTLP.KeyValue], dropped: UInt32) {
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
