import Tracing

/// The attributes every HTTP server span carries (OpenTelemetry semantic conventions), kept in plain
/// fields instead of the facade's `SpanAttributes` dictionary.
///
/// Why: a lab service makes one server span per request, and filling a dictionary for it — allocate,
/// hash four string keys, box four enum values, iterate it again to encode, free it on the exporter's
/// thread — was a measurable part of what tracing costs a request (Benchmarks/http-telemetry). These
/// four fields cost no allocation and are written to OTLP directly.
///
/// Set them with `TelemetrySpan.setHTTPServerAttributes(_:)` and `setHTTPStatusCode(_:)`. They are
/// ordinary attributes to everyone else: `span.attributes` shows them, and the moment anything
/// changes the attributes through the facade they move into the dictionary (so a later
/// `span.attributes["http.route"] = nil` removes the route as it would on any span).
public struct HTTPServerAttributes: Sendable, Equatable {
    /// `http.request.method`
    public var method: String
    /// `url.path`
    public var path: String
    /// `http.route`, when the router matched one
    public var route: String?
    /// `http.response.status_code`, once the response is known
    public var statusCode: Int?

    public init(method: String, path: String, route: String? = nil, statusCode: Int? = nil) {
        self.method = method
        self.path = path
        self.route = route
        self.statusCode = statusCode
    }

    static let methodKey = "http.request.method"
    static let statusCodeKey = "http.response.status_code"
    static let routeKey = "http.route"
    static let pathKey = "url.path"

    /// How many attributes these fields stand for.
    var count: Int { 2 + (route == nil ? 0 : 1) + (statusCode == nil ? 0 : 1) }

    /// Calls `body` with each attribute, in key order (the order `FinishedSpan.otlp` sorts them in, so
    /// a span with only these encodes to the same bytes both ways).
    func forEach(_ body: (String, SpanAttribute) -> Void) {
        body(Self.methodKey, .string(method))
        if let statusCode { body(Self.statusCodeKey, .int64(Int64(statusCode))) }
        if let route { body(Self.routeKey, .string(route)) }
        body(Self.pathKey, .string(path))
    }

    /// Adds the fields to `attributes`, unless a key is already there (what was set through the
    /// facade wins).
    func merge(into attributes: inout SpanAttributes) {
        forEach { key, value in
            if attributes.get(key) == nil { attributes.set(key, value: value) }
        }
    }
}
