/// The OTLP trace data model (opentelemetry/proto/trace/v1, common/v1, resource/v1,
/// collector/trace/v1), as plain Swift values. The encoder writes these as protobuf, the decoder
/// reads them back; the control plane's receiver and trace store work on them.
/// Field numbers are noted next to each field because the wire format is hand-written.
public enum OTLP {
    /// ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    public struct ExportTraceServiceRequest: Equatable, Sendable {
        public var resourceSpans: [ResourceSpans]
        public init(resourceSpans: [ResourceSpans] = []) { self.resourceSpans = resourceSpans }
    }

    /// ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
    /// ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
    public struct ExportTraceServiceResponse: Equatable, Sendable {
        public var rejectedSpans: Int64
        public var errorMessage: String
        public init(rejectedSpans: Int64 = 0, errorMessage: String = "") {
            self.rejectedSpans = rejectedSpans
            self.errorMessage = errorMessage
        }
    }

    /// ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
    public struct ResourceSpans: Equatable, Sendable {
        public var resource: Resource
        public var scopeSpans: [ScopeSpans]
        public var schemaURL: String
        public init(resource: Resource = Resource(), scopeSpans: [ScopeSpans] = [], schemaURL: String = "") {
            self.resource = resource
            self.scopeSpans = scopeSpans
            self.schemaURL = schemaURL
        }
    }

    /// Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
    public struct Resource: Equatable, Sendable {
        public var attributes: [KeyValue]
        public var droppedAttributesCount: UInt32
        public init(attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0) {
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
        }
    }

    /// ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
    public struct ScopeSpans: Equatable, Sendable {
        public var scope: InstrumentationScope
        public var spans: [Span]
        public var schemaURL: String
        public init(scope: InstrumentationScope = InstrumentationScope(), spans: [Span] = [], schemaURL: String = "") {
            self.scope = scope
            self.spans = spans
            self.schemaURL = schemaURL
        }
    }

    /// InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3;
    /// uint32 dropped_attributes_count = 4; }
    public struct InstrumentationScope: Equatable, Sendable {
        public var name: String
        public var version: String
        public var attributes: [KeyValue]
        public var droppedAttributesCount: UInt32
        public init(name: String = "", version: String = "", attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0) {
            self.name = name
            self.version = version
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
        }
    }

    /// Span.SpanKind
    public enum SpanKind: Int32, Equatable, Sendable {
        case unspecified = 0, `internal` = 1, server = 2, client = 3, producer = 4, consumer = 5
    }

    /// Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
    /// fixed32 flags = 16; string name = 5; SpanKind kind = 6; fixed64 start_time_unix_nano = 7;
    /// fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
    /// repeated Event events = 11; uint32 dropped_events_count = 12; repeated Link links = 13;
    /// uint32 dropped_links_count = 14; Status status = 15; }
    public struct Span: Equatable, Sendable {
        public var traceID: [UInt8]
        public var spanID: [UInt8]
        public var traceState: String
        public var parentSpanID: [UInt8]
        public var flags: UInt32
        public var name: String
        /// Raw enum value so that unknown kinds from other senders survive a round trip.
        public var kind: Int32
        public var startTimeUnixNano: UInt64
        public var endTimeUnixNano: UInt64
        public var attributes: [KeyValue]
        public var droppedAttributesCount: UInt32
        public var events: [Event]
        public var droppedEventsCount: UInt32
        public var links: [Link]
        public var droppedLinksCount: UInt32
        public var status: Status

        public init(
            traceID: [UInt8] = [], spanID: [UInt8] = [], traceState: String = "", parentSpanID: [UInt8] = [],
            flags: UInt32 = 0, name: String = "", kind: Int32 = 0, startTimeUnixNano: UInt64 = 0,
            endTimeUnixNano: UInt64 = 0, attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0,
            events: [Event] = [], droppedEventsCount: UInt32 = 0, links: [Link] = [], droppedLinksCount: UInt32 = 0,
            status: Status = Status()
        ) {
            self.traceID = traceID
            self.spanID = spanID
            self.traceState = traceState
            self.parentSpanID = parentSpanID
            self.flags = flags
            self.name = name
            self.kind = kind
            self.startTimeUnixNano = startTimeUnixNano
            self.endTimeUnixNano = endTimeUnixNano
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
            self.events = events
            self.droppedEventsCount = droppedEventsCount
            self.links = links
            self.droppedLinksCount = droppedLinksCount
            self.status = status
        }
    }

    /// Span.Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3;
    /// uint32 dropped_attributes_count = 4; }
    public struct Event: Equatable, Sendable {
        public var timeUnixNano: UInt64
        public var name: String
        public var attributes: [KeyValue]
        public var droppedAttributesCount: UInt32
        public init(timeUnixNano: UInt64 = 0, name: String = "", attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0) {
            self.timeUnixNano = timeUnixNano
            self.name = name
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
        }
    }

    /// Span.Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4;
    /// uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
    public struct Link: Equatable, Sendable {
        public var traceID: [UInt8]
        public var spanID: [UInt8]
        public var traceState: String
        public var attributes: [KeyValue]
        public var droppedAttributesCount: UInt32
        public var flags: UInt32
        public init(
            traceID: [UInt8] = [], spanID: [UInt8] = [], traceState: String = "", attributes: [KeyValue] = [],
            droppedAttributesCount: UInt32 = 0, flags: UInt32 = 0
        ) {
            self.traceID = traceID
            self.spanID = spanID
            self.traceState = traceState
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
            self.flags = flags
        }
    }

    /// Status { string message = 2; StatusCode code = 3; }  (UNSET = 0, OK = 1, ERROR = 2)
    public struct Status: Equatable, Sendable {
        public var message: String
        public var code: Int32
        public init(message: String = "", code: Int32 = 0) {
            self.message = message
            self.code = code
        }
    }

    /// KeyValue { string key = 1; AnyValue value = 2; }
    public struct KeyValue: Equatable, Sendable {
        public var key: String
        public var value: AnyValue
        public init(_ key: String, _ value: AnyValue) {
            self.key = key
            self.value = value
        }
    }

    /// AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
    /// double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
    /// ArrayValue { repeated AnyValue values = 1; }  KeyValueList { repeated KeyValue values = 1; }
    public indirect enum AnyValue: Equatable, Sendable {
        case empty
        case string(String)
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case array([AnyValue])
        case kvlist([KeyValue])
        case bytes([UInt8])
    }
}
