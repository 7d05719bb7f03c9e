import Telemetry

/// One received span together with the resource and scope it was sent under.
///
/// OTLP nests spans inside `ResourceSpans`/`ScopeSpans`; the store and the analysis want a flat list
/// where each span knows its service. `ExportTraceServiceRequest(spans:)` nests them back for export.
public struct TraceSpan: Sendable, Equatable {
    public var span: OTLP.Span
    public var resource: OTLP.Resource
    public var scope: OTLP.InstrumentationScope

    public init(span: OTLP.Span, resource: OTLP.Resource = OTLP.Resource(), scope: OTLP.InstrumentationScope = OTLP.InstrumentationScope())
    {
        self.span = span
        self.resource = resource
        self.scope = scope
    }

    /// The `service.name` resource attribute, or `unknown_service` as the OpenTelemetry SDKs default to.
    public var serviceName: String {
        if case .string(let name)? = resource.attributes.first(where: { $0.key == "service.name" })?.value, !name.isEmpty {
            return name
        }
        return "unknown_service"
    }

    /// The `service.namespace` resource attribute, if any (the native runtime sets it to the lab's id).
    public var serviceNamespace: String? {
        if case .string(let ns)? = resource.attributes.first(where: { $0.key == "service.namespace" })?.value, !ns.isEmpty {
            return ns
        }
        return nil
    }

    public var traceID: TraceID? { TraceID(bytes: span.traceID) }
    public var spanID: SpanID? { SpanID(bytes: span.spanID) }
    /// Nil for a root span (no parent id) and for a malformed parent id.
    public var parentSpanID: SpanID? { span.parentSpanID.isEmpty ? nil : SpanID(bytes: span.parentSpanID) }

    public var startNanos: UInt64 { span.startTimeUnixNano }
    /// The end, never before the start (a clock skewed sender must not produce negative durations).
    public var endNanos: UInt64 { max(span.startTimeUnixNano, span.endTimeUnixNano) }
    public var durationNanos: UInt64 { endNanos - startNanos }

    /// Status code ERROR (2).
    public var isError: Bool { span.status.code == 2 }

    /// A span attribute's value, rendered as text (nil when absent).
    public func attribute(_ key: String) -> String? {
        span.attributes.first(where: { $0.key == key }).map { $0.value.displayText }
    }
}

extension OTLP.AnyValue {
    /// A compact human rendering for tables and waterfalls.
    public var displayText: String {
        switch self {
        case .empty: return ""
        case .string(let s): return s
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .array(let values): return "[" + values.map(\.displayText).joined(separator: ",") + "]"
        case .kvlist(let kvs): return "{" + kvs.map { "\($0.key)=\($0.value.displayText)" }.joined(separator: ",") + "}"
        case .bytes(let b): return "<\(b.count) bytes>"
        }
    }
}

extension OTLP.ExportTraceServiceRequest {
    /// Every span of the request, each with its resource and scope.
    public var flattenedSpans: [TraceSpan] {
        var out: [TraceSpan] = []
        for rs in resourceSpans {
            for ss in rs.scopeSpans {
                for span in ss.spans {
                    out.append(TraceSpan(span: span, resource: rs.resource, scope: ss.scope))
                }
            }
        }
        return out
    }

    /// Nests flat spans back into resource/scope groups, keeping first-seen order.
    public init(spans: [TraceSpan]) {
        var resources: [OTLP.ResourceSpans] = []
        for ts in spans {
            let r: Int
            if let i = resources.firstIndex(where: { $0.resource == ts.resource }) {
                r = i
            } else {
                resources.append(OTLP.ResourceSpans(resource: ts.resource))
                r = resources.count - 1
            }
            if let s = resources[r].scopeSpans.firstIndex(where: { $0.scope == ts.scope }) {
                resources[r].scopeSpans[s].spans.append(ts.span)
            } else {
                resources[r].scopeSpans.append(OTLP.ScopeSpans(scope: ts.scope, spans: [ts.span]))
            }
        }
        self.init(resourceSpans: resources)
    }
}
