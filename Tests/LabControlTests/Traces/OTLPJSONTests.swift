import Foundation
import Telemetry
import XCTest

@testable import LabControl

final class OTLPJSONTests: XCTestCase {
    typealias F = TraceFixtures

    /// A request using every field and every AnyValue case.
    static var fullRequest: OTLP.ExportTraceServiceRequest {
        var spans = F.checkout(namespace: "week07-circuit-breakers")
        spans[2].span.events = [
            OTLP.Event(timeUnixNano: F.ms(20), name: "retry", attributes: [OTLP.KeyValue("attempt", .int(2))], droppedAttributesCount: 1)
        ]
        spans[2].span.links = [
            OTLP.Link(
                traceID: F.traceID(9).bytes, spanID: F.spanID(9).bytes, traceState: "k=v",
                attributes: [OTLP.KeyValue("why", .string("batch"))], droppedAttributesCount: 2, flags: 1)
        ]
        spans[2].span.traceState = "vendor=1"
        spans[2].span.flags = 0x101
        spans[2].span.droppedAttributesCount = 3
        spans[2].span.droppedEventsCount = 4
        spans[2].span.droppedLinksCount = 5
        spans[3].span.attributes = [
            OTLP.KeyValue("s", .string("ünïcode \"quoted\" \\ / \n")),
            OTLP.KeyValue("b", .bool(true)),
            OTLP.KeyValue("f", .bool(false)),
            OTLP.KeyValue("i", .int(-9_007_199_254_740_993)), // beyond a double's exact range
            OTLP.KeyValue("d", .double(0.1)),
            OTLP.KeyValue("a", .array([.int(1), .string("two"), .double(3.5)])),
            OTLP.KeyValue("kv", .kvlist([OTLP.KeyValue("nested", .bool(false))])),
            OTLP.KeyValue("bytes", .bytes([0, 1, 254, 255])),
            OTLP.KeyValue("empty", .empty),
        ]
        var request = F.request(spans)
        request.resourceSpans[0].schemaURL = "https://opentelemetry.io/schemas/1.26.0"
        request.resourceSpans[0].scopeSpans[0].scope.version = "1.2.3"
        request.resourceSpans[0].scopeSpans[0].scope.attributes = [OTLP.KeyValue("scope.attr", .int(1))]
        return request
    }

    func testRoundTrip() throws {
        let request = Self.fullRequest
        XCTAssertEqual(try OTLPJSON.decodeRequest(OTLPJSON.encode(request)), request)
        XCTAssertEqual(try OTLPJSON.decodeRequest(OTLPJSON.encode(request, pretty: true)), request)
    }

    func testIdsAreHexAndInt64sAreStrings() throws {
        let text = String(decoding: OTLPJSON.encode(F.request(F.checkout())), as: UTF8.self)
        XCTAssertTrue(text.contains("\"traceId\":\"\(F.traceID(1).hex)\""), text)
        XCTAssertTrue(text.contains("\"parentSpanId\":\"\(F.spanID(1).hex)\""), text)
        XCTAssertTrue(text.contains("\"startTimeUnixNano\":\"\(F.ms(0))\""), text)
        XCTAssertTrue(text.contains("\"kind\":2"), text)
        XCTAssertTrue(text.contains("\"status\":{\"code\":2"), text)
    }

    /// Our encoder's output parsed by protobuf's own JSON mapping of the official OTLP protos (strict
    /// about field names), then compared, through protobuf, with what we meant.
    func testPythonProtobufParsesOurJSON() throws {
        let request = Self.fullRequest
        let json = try TracePythonPeer.temporaryFile(OTLPJSON.encode(request), suffix: ".json")
        let proto = try TracePythonPeer.temporaryFile()
        defer {
            try? FileManager.default.removeItem(at: json)
            try? FileManager.default.removeItem(at: proto)
        }
        try TracePythonPeer.run("codec_peer.py", ["otlpjson-to-protobuf", json.path, proto.path])
        let decoded = try OTLP.ExportTraceServiceRequest(protobuf: [UInt8](try Data(contentsOf: proto)))
        XCTAssertEqual(decoded, request)
    }

    /// The reverse: JSON written by protobuf's mapping (enums as ints, int64 as strings, fields it
    /// omits when default) decodes to the same request as the protobuf bytes.
    func testWeDecodePythonsJSON() throws {
        let request = Self.fullRequest
        let proto = try TracePythonPeer.temporaryFile(request.protobufBytes())
        let json = try TracePythonPeer.temporaryFile(suffix: ".json")
        defer {
            try? FileManager.default.removeItem(at: json)
            try? FileManager.default.removeItem(at: proto)
        }
        try TracePythonPeer.run("codec_peer.py", ["protobuf-to-otlpjson", proto.path, json.path])
        XCTAssertEqual(try OTLPJSON.decodeRequest([UInt8](try Data(contentsOf: json))), request)
    }

    func testLenientReadingOfSnakeCaseEnumNamesAndNumbers() throws {
        let text = """
            {"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"string_value":"api"}}]},
              "scope_spans":[{"scope":{"name":"x"},"spans":[{"trace_id":"\(F.traceID(3).hex.uppercased())","span_id":"\(F.spanID(1).hex)",
                "name":"n","kind":"SPAN_KIND_CLIENT","start_time_unix_nano":1000,"end_time_unix_nano":"2000",
                "status":{"code":"STATUS_CODE_ERROR"},"attributes":[{"key":"i","value":{"intValue":42}}],"unknownField":{"x":1}}]}]}]}
            """
        let request = try OTLPJSON.decodeRequest(Array(text.utf8))
        let span = try XCTUnwrap(request.flattenedSpans.first)
        XCTAssertEqual(span.traceID, F.traceID(3))
        XCTAssertEqual(span.serviceName, "api")
        XCTAssertEqual(span.span.kind, 3)
        XCTAssertEqual(span.span.status.code, 2)
        XCTAssertEqual(span.durationNanos, 1000)
        XCTAssertEqual(span.span.attributes, [OTLP.KeyValue("i", .int(42))])
    }

    func testErrorsNameThePath() {
        func problem(_ text: String) -> String {
            do {
                _ = try OTLPJSON.decodeRequest(Array(text.utf8))
                return "no error"
            } catch {
                return error.description
            }
        }
        XCTAssertTrue(problem("{not json").hasPrefix("not valid JSON"), problem("{not json"))
        XCTAssertEqual(problem("[]"), "expected a JSON object at the top level")
        XCTAssertEqual(
            problem(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"q1"}]}]}]}"#),
            #"resourceSpans[0].scopeSpans[0].spans[0].traceId: expected hex digits (OTLP/JSON ids are hex, not base64), got "q1""#
        )
        XCTAssertEqual(
            problem(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}"#),
            #"resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an unsigned 64-bit integer, got "soon""#
        )
        XCTAssertEqual(problem(#"{"resourceSpans":[7]}"#), "resourceSpans[0]: expected an object")
        XCTAssertEqual(problem(#"{"resourceSpans":{}}"#), "resourceSpans: expected an array")
    }

    /// Doubles arrive exactly as their text says and survive our encoding and decoding bit for bit
    /// (found by fuzzing: Foundation's JSONSerialization read some one unit in the last place off).
    func testDoublesAreExactBothWays() throws {
        let texts = ["0.2500000002219167", "123456789.12345678", "0.0030517578125", "5e-324", "1.7976931348623157e308", "-2.5e-10"]
        for text in texts {
            let json = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"d","value":{"doubleValue":"# + text + "}}]}}]}"
            let request = try OTLPJSON.decodeRequest(Array(json.utf8))
            XCTAssertEqual(request.resourceSpans[0].resource.attributes[0].value, .double(Double(text)!), text)
        }
        for value in texts.map { Double($0)! } + [-0.0, 0.0, .nan, .infinity, -.infinity, 0.1 + 0.2] {
            let request = OTLP.ExportTraceServiceRequest(resourceSpans: [
                OTLP.ResourceSpans(resource: OTLP.Resource(attributes: [OTLP.KeyValue("d", .double(value))]))
            ])
            let back = try OTLPJSON.decodeRequest(OTLPJSON.encode(request))
            guard case .double(let decoded) = back.resourceSpans[0].resource.attributes[0].value else { return XCTFail("\(value)") }
            XCTAssertEqual(decoded.bitPattern, value.bitPattern, "\(value)")
        }
    }

    /// A NaN written with a sign or a payload reads as the canonical NaN, so the request's protobuf
    /// round-trips (found by fuzzing: `"doubleValue": "-NaN"` kept its sign bit through protobuf, whose
    /// decoder then read the canonical NaN, and the trace store's bytes changed).
    func testEveryNaNReadsAsTheCanonicalNaN() throws {
        for text in ["NaN", "-NaN", "nan(0x5)", "-nan"] {
            let json = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"d","value":{"doubleValue":""# + text + #""}}]}}]}"#
            let request = try OTLPJSON.decodeRequest(Array(json.utf8))
            guard case .double(let d) = request.resourceSpans[0].resource.attributes[0].value else { return XCTFail(text) }
            XCTAssertEqual(d.bitPattern, Double.nan.bitPattern, text)
            let protobuf = request.protobufBytes()
            XCTAssertEqual(try OTLP.ExportTraceServiceRequest(protobuf: protobuf).protobufBytes(), protobuf, text)
        }
    }

    /// A key with no value at the deepest level protobuf allows goes through OTLP/JSON and back (found by
    /// fuzzing: the encoder wrote `"value": {}`, one level past the limit, which the decoder refused).
    func testAnEmptyValueAtTheDepthLimitRoundTrips() throws {
        var value = OTLP.AnyValue.kvlist([OTLP.KeyValue("k", .empty)])
        for _ in 1..<32 { value = .kvlist([OTLP.KeyValue("k", value)]) } // 32 kvlists: the empty value would be level 101
        var span = OTLP.Span(name: "deep")
        span.attributes = [OTLP.KeyValue("deep", value)]
        let request = OTLP.ExportTraceServiceRequest(resourceSpans: [OTLP.ResourceSpans(scopeSpans: [OTLP.ScopeSpans(spans: [span])])])
        let protobuf = try OTLP.ExportTraceServiceRequest(protobuf: request.protobufBytes())
        XCTAssertEqual(try OTLPJSON.decodeRequest(OTLPJSON.encode(protobuf)), protobuf)
    }
}
