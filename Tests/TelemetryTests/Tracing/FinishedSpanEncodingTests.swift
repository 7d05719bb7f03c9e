import Synchronization
import Tracing
import XCTest

@testable import Telemetry

/// The exporter writes protobuf straight from `FinishedSpan` (FinishedSpan+Protobuf.swift) instead of
/// encoding the OTLP model. These tests hold the two paths together: the bytes must decode to exactly
/// the model `FinishedSpan.otlp` builds, for every attribute kind and every optional part.
final class FinishedSpanEncodingTests: XCTestCase {
    struct Token: CustomStringConvertible, Sendable { var description: String { "token-42" } }

    private let exporter = OTLPHTTPSpanExporter(
        endpoint: "http://127.0.0.1:1/v1/traces", transport: ScriptedTransport(),
        resource: OTLP.Resource(attributes: [.init("service.name", .string("encoding-test"))]))

    /// A span using every attribute kind the facade has, events, links, an error status, a remote
    /// parent, a trace state and dropped counts.
    private func richSpan() -> FinishedSpan {
        var attributes: SpanAttributes = [:]
        attributes["s"] = "ü ✓ text"
        attributes["empty"] = ""
        attributes["i32"] = Int32(-7)
        attributes["i64"] = Int64.min
        attributes["zero"] = 0
        attributes["d"] = Double.infinity
        attributes["nan"] = Double.nan
        attributes["b"] = false
        attributes.set("i32s", value: .int32Array([1, -2]))
        attributes.set("i64s", value: .int64Array([.max]))
        attributes.set("ds", value: .doubleArray([0.5, -0.0]))
        attributes.set("bs", value: .boolArray([true, false]))
        attributes.set("ss", value: .stringArray(["a", ""]))
        attributes.set("none", value: .stringArray([]))
        attributes.set("conv", value: .stringConvertible(Token()))
        attributes.set("convs", value: .stringConvertibleArray([Token(), 3]))
        attributes["long"] = String(repeating: "x", count: 300) // a KeyValue longer than 127 bytes
        attributes[""] = 1 // proto3 omits an empty key on the wire
        return FinishedSpan(
            traceID: TraceID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10), spanID: SpanID(0xFFEE_DDCC_BBAA_9988),
            traceState: "vendor=1,other=x", parentSpanID: SpanID(42), flags: 0x301,
            name: "GET /items/{id}", kind: .server, startNanoseconds: 1_700_000_000_000_000_000, endNanoseconds: .max,
            attributes: attributes, droppedAttributesCount: 3,
            events: [OTLP.Event(timeUnixNano: 5, name: "exception", attributes: [.init("exception.type", .string("Boom"))])],
            droppedEventsCount: 1,
            links: [
                OTLP.Link(
                    traceID: TraceID(high: 1, low: 2).bytes, spanID: SpanID(3).bytes, traceState: "k=v",
                    attributes: [.init("why", .string("fan-in"))], flags: 0x101)
            ],
            droppedLinksCount: 2,
            status: OTLP.Status(message: "went wrong", code: 2))
    }

    private func decodedSpans(_ spans: [FinishedSpan]) throws -> OTLP.ExportTraceServiceRequest {
        var request = try OTLP.ExportTraceServiceRequest(protobuf: exporter.body(for: spans))
        for r in request.resourceSpans.indices {
            for s in request.resourceSpans[r].scopeSpans.indices {
                for i in request.resourceSpans[r].scopeSpans[s].spans.indices {
                    request.resourceSpans[r].scopeSpans[s].spans[i].attributes.sort { $0.key < $1.key }
                }
            }
        }
        return request
    }

    func testRichSpanDecodesToItsModel() throws {
        let span = richSpan()
        let decoded = try decodedSpans([span])
        // NaN != NaN, so compare the model with the NaN attribute checked apart.
        var got = decoded.resourceSpans[0].scopeSpans[0].spans[0]
        var want = span.otlp
        XCTAssertEqual(got.attributes.count, 18)
        guard let nanIndex = got.attributes.firstIndex(where: { $0.key == "nan" }), case .double(let nan) = got.attributes[nanIndex].value
        else {
            return XCTFail("nan attribute missing or not a double")
        }
        XCTAssertTrue(nan.isNaN)
        got.attributes.remove(at: nanIndex)
        want.attributes.removeAll { $0.key == "nan" }
        XCTAssertEqual(got, want)
        XCTAssertEqual(decoded.resourceSpans[0].resource, exporter.resource)
        XCTAssertEqual(decoded.resourceSpans[0].scopeSpans[0].scope, exporter.scope)
    }

    func testManySpansAndTheEnvelopeMatchTheModelRequest() throws {
        // 600 spans of ~200 bytes: the ScopeSpans message is longer than 16 KiB, so its length needs
        // a 3-byte varint (two bytes inserted after the placeholder).
        let spans = (0..<600).map { i in
            var span = makeSpan(i)
            span.attributes["http.response.status_code"] = 200 + i % 3
            span.attributes["http.route"] = "/items/{id}"
            span.parentSpanID = i % 2 == 0 ? nil : SpanID(UInt64(i))
            span.status = i % 7 == 0 ? OTLP.Status(code: 1) : OTLP.Status()
            return span
        }
        var model = exporter.request(for: spans)
        let decoded = try decodedSpans(spans)
        XCTAssertEqual(decoded, model)
        // And the bytes are exactly the model's bytes once the model carries the same attribute order.
        let body = exporter.body(for: spans)
        let undecoded = try OTLP.ExportTraceServiceRequest(protobuf: body)
        model.resourceSpans[0].scopeSpans[0].spans = undecoded.resourceSpans[0].scopeSpans[0].spans
        XCTAssertEqual(model.protobufBytes(), body)
    }

    func testMinimalSpanOmitsDefaults() throws {
        let span = FinishedSpan(traceID: TraceID(high: 0, low: 1), spanID: SpanID(1), flags: 0, name: "")
        let body = exporter.body(for: [span])
        XCTAssertEqual(try decodedSpans([span]).resourceSpans[0].scopeSpans[0].spans, [span.otlp])
        XCTAssertEqual(body, exporter.request(for: [span]).protobufBytes())
    }

    /// The tracer's own output: what `end()` produces, limits applied, goes through both paths alike.
    func testTracerSpansOverTheAttributeLimit() throws {
        var limits = SpanLimits()
        limits.maxAttributes = 3
        let recorder = InMemoryFinishedSpans()
        let tracer = TelemetryTracer(processor: recorder, limits: limits)
        let span = tracer.startSpan("limited", context: .topLevel)
        span.updateAttributes { attributes in
            for key in ["e", "d", "c", "b", "a"] { attributes[key] = key }
        }
        span.end()
        let finished = try XCTUnwrap(recorder.spans.first)
        XCTAssertEqual(finished.droppedAttributesCount, 2)
        XCTAssertEqual(finished.otlp.attributes.map(\.key), ["a", "b", "c"], "the first keys in sorted order stay")
        XCTAssertEqual(try decodedSpans([finished]).resourceSpans[0].scopeSpans[0].spans, [finished.otlp])
    }
}

/// Keeps the `FinishedSpan`s themselves (`InMemorySpanProcessor` hands out the OTLP model).
final class InMemoryFinishedSpans: SpanProcessor {
    private let stored = Mutex<[FinishedSpan]>([])
    var spans: [FinishedSpan] { stored.withLock { $0 } }
    func onEnd(_ span: FinishedSpan) { stored.withLock { $0.append(span) } }
    func forceFlush() async {}
    func shutdown() async {}
}
