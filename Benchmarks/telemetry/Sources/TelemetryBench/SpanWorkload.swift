import Telemetry
import Tracing

/// The per-span work both tracers do, through the swift-distributed-tracing facade only: start a
/// server span, set four attributes the way Hummingbird's tracing middleware does (one
/// `updateAttributes` call), end it.
@inline(never)
func makeSpans<T: Tracer>(_ count: Int, with tracer: T) {
    for i in 0..<count {
        let span = tracer.startSpan("GET /items/{id}", context: .topLevel, ofKind: .server)
        span.updateAttributes { attributes in
            attributes["http.request.method"] = "GET"
            attributes["http.route"] = "/items/{id}"
            attributes["http.response.status_code"] = 200
            attributes["server.address"] = "localhost"
        }
        if i & 0x3FF == 0 { span.setStatus(SpanStatus(code: .ok)) }
        span.end()
    }
}

/// The same server span through our tracer's compact HTTP fields (`HTTPServerAttributes`), as
/// LabKit's server middleware sets them: four attributes (method, path, route, status), no dictionary.
func makeServerSpans(_ count: Int, with tracer: TelemetryTracer) {
    for i in 0..<count {
        let span = tracer.startSpan("GET /items/{id}", context: .topLevel, ofKind: .server)
        span.setHTTPServerAttributes(HTTPServerAttributes(method: "GET", path: "/items/7", route: "/items/{id}"))
        span.setHTTPStatusCode(200)
        if i & 0x3FF == 0 { span.setStatus(SpanStatus(code: .ok)) }
        span.end()
    }
}

/// One tracing pipeline under test: a tracer whose finished spans are batched, encoded to OTLP
/// protobuf and thrown away.
protocol SpanPipeline {
    associatedtype T: Tracer
    var name: String { get }
    var tracer: T { get }
    /// Returns once every span ended so far has been encoded; returns how many spans were encoded in
    /// total, so the benchmark can check none was dropped.
    func drain(expecting total: Int) async -> Int
    func shutdown() async
}
