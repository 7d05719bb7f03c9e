import Telemetry

/// A realistic export request: one service, one scope, `spanCount` spans of a request tree, each with
/// 8 attributes (strings, ints, a double, a bool), 2 events (one with 2 attributes) and 1 link.
func sampleRequest(spanCount: Int = 512) -> OTLP.ExportTraceServiceRequest {
    var random = SystemRandomNumberGenerator()
    func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) } }
    let start: UInt64 = 1_763_700_000_000_000_000
    let routes = ["/items/{id}", "/orders", "/users/{id}/cart", "/checkout", "/search"]
    var spans: [OTLP.Span] = []
    spans.reserveCapacity(spanCount)
    let traceID = bytes(16)
    var parent: [UInt8] = []
    for i in 0..<spanCount {
        let spanID = bytes(8)
        let route = routes[i % routes.count]
        let begin = start + UInt64(i) * 1_000_000
        spans.append(
            OTLP.Span(
                traceID: i % 16 == 0 ? bytes(16) : traceID, spanID: spanID, parentSpanID: parent, flags: 0x101,
                name: "GET \(route)", kind: i % 2 == 0 ? 2 : 3,
                startTimeUnixNano: begin, endTimeUnixNano: begin + 850_000 + UInt64(i % 97) * 1_000,
                attributes: [
                    OTLP.KeyValue("http.request.method", .string("GET")),
                    OTLP.KeyValue("http.route", .string(route)),
                    OTLP.KeyValue("http.response.status_code", .int(i % 50 == 0 ? 503 : 200)),
                    OTLP.KeyValue("url.path", .string(route.replacingOccurrences(of: "{id}", with: String(i)))),
                    OTLP.KeyValue("server.address", .string("inventory.lab.internal")),
                    OTLP.KeyValue("server.port", .int(8080)),
                    OTLP.KeyValue("lab.queue.utilisation", .double(Double(i % 100) / 100)),
                    OTLP.KeyValue("lab.cache.hit", .bool(i % 3 == 0)),
                ],
                events: [
                    OTLP.Event(timeUnixNano: begin + 10_000, name: "request.received"),
                    OTLP.Event(
                        timeUnixNano: begin + 800_000, name: "retry",
                        attributes: [
                            OTLP.KeyValue("retry.attempt", .int(Int64(i % 3))),
                            OTLP.KeyValue("retry.reason", .string("upstream timeout")),
                        ]),
                ],
                links: [
                    OTLP.Link(
                        traceID: bytes(16), spanID: bytes(8), attributes: [OTLP.KeyValue("link.kind", .string("follows_from"))],
                        flags: 0x301)
                ],
                status: i % 50 == 0 ? OTLP.Status(message: "upstream unavailable", code: 2) : OTLP.Status(code: 1)
            ))
        if i % 8 == 0 { parent = spanID }
    }
    let resource = OTLP.Resource(attributes: [
        OTLP.KeyValue("service.name", .string("inventory")),
        OTLP.KeyValue("service.instance.id", .string("inventory-1")),
        OTLP.KeyValue("telemetry.sdk.name", .string("dlab-telemetry")),
        OTLP.KeyValue("telemetry.sdk.language", .string("swift")),
    ])
    return OTLP.ExportTraceServiceRequest(resourceSpans: [
        OTLP.ResourceSpans(
            resource: resource,
            scopeSpans: [
                OTLP.ScopeSpans(scope: OTLP.InstrumentationScope(name: "dlab-telemetry", version: "0.1.0"), spans: spans)
            ])
    ])
}

extension String {
    /// Foundation-free replacement of every occurrence of `target`.
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
