import Tracing
import XCTest

@testable import Telemetry

/// A server span's HTTP attributes kept in compact fields (`HTTPServerAttributes`) must behave, for
/// everyone who reads or changes attributes, exactly as if they had been set through the facade.
final class HTTPServerAttributesTests: XCTestCase {
    private let exporter = OTLPHTTPSpanExporter(
        endpoint: "http://127.0.0.1:1/v1/traces", transport: ScriptedTransport(),
        resource: OTLP.Resource(attributes: [.init("service.name", .string("http-attributes-test"))]))

    private func serverSpan(_ tracer: TelemetryTracer) -> TelemetrySpan {
        let span = tracer.startSpan("GET /items/{id}", context: .topLevel, ofKind: .server)
        span.setHTTPServerAttributes(
            HTTPServerAttributes(method: "GET", path: "/items/7", route: "/items/{id}"))
        return span
    }

    private func keyValues(_ attributes: SpanAttributes) -> [String: String] {
        var result: [String: String] = [:]
        attributes.forEach { key, value in result[key] = "\(value)" }
        return result
    }

    func testTheyAreOrdinaryAttributesToTheFacadeAndTheExporter() throws {
        let recorder = InMemoryFinishedSpans()
        let span = serverSpan(TelemetryTracer(processor: recorder))
        span.setHTTPStatusCode(404)

        var expected = SpanAttributes()
        expected["http.request.method"] = "GET"
        expected["url.path"] = "/items/7"
        expected["http.route"] = "/items/{id}"
        expected["http.response.status_code"] = 404
        XCTAssertEqual(
            keyValues(span.attributes), keyValues(expected), "the getter shows the compact fields")
        span.end()

        let finished = try XCTUnwrap(recorder.spans.first)
        XCTAssertNotNil(finished.httpServer, "kept compact to the end: nothing touched the dictionary")
        XCTAssertTrue(finished.attributes.isEmpty)
        XCTAssertEqual(
            finished.otlp.attributes,
            [
                .init("http.request.method", .string("GET")), .init("http.response.status_code", .int(404)),
                .init("http.route", .string("/items/{id}")), .init("url.path", .string("/items/7")),
            ])
        // The exporter's bytes decode to that model, and equal the model's own encoding.
        let body = exporter.body(for: [finished])
        let decoded = try OTLP.ExportTraceServiceRequest(protobuf: body)
        XCTAssertEqual(
            decoded.resourceSpans[0].scopeSpans[0].spans.map { span in
                var span = span
                span.attributes.sort { $0.key < $1.key }
                return span
            }, [finished.otlp])
        XCTAssertEqual(
            body, exporter.request(for: [finished]).protobufBytes(), "same attribute order as the model")
    }

    func testAChangeThroughTheFacadeMovesThemIntoTheDictionary() throws {
        let recorder = InMemoryFinishedSpans()
        let span = serverSpan(TelemetryTracer(processor: recorder))
        span.attributes["lab.cache"] = "hit"
        span.attributes["http.route"] = nil // removes the route, as on any span
        span.setHTTPStatusCode(200) // after the move, set in the dictionary
        span.end()

        let finished = try XCTUnwrap(recorder.spans.first)
        XCTAssertNil(finished.httpServer)
        XCTAssertEqual(
            finished.otlp.attributes.map(\.key),
            ["http.request.method", "http.response.status_code", "lab.cache", "url.path"])
        XCTAssertEqual(
            try decodedAttributeKeys(finished),
            ["http.request.method", "http.response.status_code", "lab.cache", "url.path"])
    }

    func testSettingThemOnASpanThatHasAttributesSetsThemInTheDictionary() throws {
        let recorder = InMemoryFinishedSpans()
        let span = TelemetryTracer(processor: recorder).startSpan(
            "GET", context: .topLevel, ofKind: .server)
        span.attributes["url.path"] = "/old"
        span.setHTTPServerAttributes(HTTPServerAttributes(method: "GET", path: "/new"))
        span.end()
        let finished = try XCTUnwrap(recorder.spans.first)
        XCTAssertNil(finished.httpServer)
        XCTAssertEqual(
            finished.otlp.attributes,
            [.init("http.request.method", .string("GET")), .init("url.path", .string("/new"))])
    }

    func testReplacingTheAttributesReplacesTheCompactOnesToo() throws {
        let recorder = InMemoryFinishedSpans()
        let span = serverSpan(TelemetryTracer(processor: recorder))
        span.attributes = ["only": "this"]
        span.end()
        XCTAssertEqual(
            try XCTUnwrap(recorder.spans.first).otlp.attributes, [.init("only", .string("this"))])
    }

    func testNonRecordingAndEndedSpansIgnoreThem() throws {
        let recorder = InMemoryFinishedSpans()
        let unsampled = TelemetryTracer(sampler: AlwaysOffSampler(), processor: recorder)
        let quiet = serverSpan(unsampled)
        XCTAssertTrue(quiet.attributes.isEmpty)

        let span = TelemetryTracer(processor: recorder).startSpan(
            "GET", context: .topLevel, ofKind: .server)
        span.end()
        span.setHTTPServerAttributes(HTTPServerAttributes(method: "GET", path: "/late"))
        span.setHTTPStatusCode(500)
        XCTAssertEqual(recorder.spans.count, 1)
        XCTAssertTrue(try XCTUnwrap(recorder.spans.first).otlp.attributes.isEmpty)
    }

    func testTheyCountAgainstTheAttributeLimit() throws {
        var limits = SpanLimits()
        limits.maxAttributes = 2
        let recorder = InMemoryFinishedSpans()
        let span = serverSpan(TelemetryTracer(processor: recorder, limits: limits))
        span.setHTTPStatusCode(200)
        span.end()
        let finished = try XCTUnwrap(recorder.spans.first)
        XCTAssertEqual(finished.droppedAttributesCount, 2)
        XCTAssertEqual(
            finished.otlp.attributes.map(\.key), ["http.request.method", "http.response.status_code"])
        XCTAssertEqual(
            try decodedAttributeKeys(finished), ["http.request.method", "http.response.status_code"])
    }

    private func decodedAttributeKeys(_ span: FinishedSpan) throws -> [String] {
        let decoded = try OTLP.ExportTraceServiceRequest(protobuf: exporter.body(for: [span]))
        return decoded.resourceSpans[0].scopeSpans[0].spans[0].attributes.map(\.key).sorted()
    }
}
