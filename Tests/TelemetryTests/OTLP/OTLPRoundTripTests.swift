import XCTest

@testable import Telemetry

/// Every message goes through our encoder and back through our decoder unchanged.
final class OTLPRoundTripTests: XCTestCase {
    func testFullRequestRoundTrips() throws {
        let request = OTLPFixtures.fullRequest
        let decoded = try OTLP.ExportTraceServiceRequest(protobuf: request.protobufBytes())
        XCTAssertTrue(OTLPComparison.identical(decoded, request), "decoded request differs from the original")
    }

    func testEveryMessageAloneRoundTrips() throws {
        let full = OTLPFixtures.fullRequest
        let span = full.resourceSpans[0].scopeSpans[0].spans[0]
        func check<M: ProtobufMessage & Equatable>(_ value: M, line: UInt = #line) throws {
            let decoded = try M(serialized: value.serialized())
            XCTAssertEqual(decoded.serialized(), value.serialized(), line: line)
        }
        try check(full.resourceSpans[0])
        try check(full.resourceSpans[0].resource)
        try check(full.resourceSpans[0].scopeSpans[0])
        try check(full.resourceSpans[0].scopeSpans[0].scope)
        try check(span)
        try check(span.events[0])
        try check(span.links[0])
        try check(span.status)
        for attribute in OTLPFixtures.everyKindOfAttribute { try check(attribute) }
        try check(OTLP.Span(kind: -5)) // negative enum values: 10-byte varints, kept as-is
        XCTAssertEqual(try OTLP.Span(serialized: OTLP.Span(kind: -5).serialized()).kind, -5)
    }

    func testHugeAttributesRoundTrip() throws {
        let megabyte = String(repeating: "ü✓🎉x", count: 1 << 18) // 2.5 MB of UTF-8, 1 M characters
        let blob = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let request = OTLP.ExportTraceServiceRequest(resourceSpans: [
            .init(scopeSpans: [
                .init(spans: [
                    OTLP.Span(
                        name: megabyte,
                        attributes: [
                            .init(megabyte, .string(megabyte)), .init("blob", .bytes(blob)),
                            .init("many", .array((0..<10_000).map { .int(Int64($0)) })),
                        ])
                ])
            ])
        ])
        let bytes = request.protobufBytes()
        XCTAssertGreaterThan(bytes.count, 3 * megabyte.utf8.count)
        XCTAssertEqual(try OTLP.ExportTraceServiceRequest(protobuf: bytes), request)
    }

    func testEmptyRequestIsZeroBytes() throws {
        XCTAssertEqual(OTLP.ExportTraceServiceRequest().protobufBytes(), [])
        XCTAssertEqual(try OTLP.ExportTraceServiceRequest(protobuf: [UInt8]()), OTLP.ExportTraceServiceRequest())
    }

    /// A NaN with a sign or payload (found by FuzzProtobuf) reads as the canonical NaN, so the request
    /// the store keeps is the same whether it arrived as protobuf or went through OTLP/JSON.
    func testNaNPayloadReadsAsTheCanonicalNaN() throws {
        for bits: UInt64 in [0x7FF0_0000_0000_0001, 0xFFFF_FFFF_FFFF_FFFF, 0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0000] {
            let span = OTLP.Span(attributes: [.init("ratio", .double(Double(bitPattern: bits)))])
            let decoded = try OTLP.Span(serialized: span.serialized())
            guard case .double(let d) = decoded.attributes.first?.value else { return XCTFail("not a double") }
            XCTAssertEqual(d.bitPattern, Double.nan.bitPattern, "bits \(String(bits, radix: 16))")
        }
    }

    func testResponseRoundTrips() throws {
        XCTAssertEqual(OTLP.ExportTraceServiceResponse().protobufBytes(), [])
        for response in [
            OTLP.ExportTraceServiceResponse(),
            .init(rejectedSpans: 3, errorMessage: "3 spans had no trace id"),
            .init(rejectedSpans: .min, errorMessage: ""),
            .init(rejectedSpans: 0, errorMessage: "warning only"),
        ] {
            XCTAssertEqual(try OTLP.ExportTraceServiceResponse(protobuf: response.protobufBytes()), response)
        }
    }
}

/// Structural equality that compares doubles by bit pattern, so NaN equals NaN and -0.0 differs from 0.0.
enum OTLPComparison {
    static func identical(_ a: OTLP.ExportTraceServiceRequest, _ b: OTLP.ExportTraceServiceRequest) -> Bool {
        normalize(a) == normalize(b)
    }

    /// Replaces each double by its bit pattern (as an int inside a marker kvlist) so `==` is exact.
    static func normalize(_ r: OTLP.ExportTraceServiceRequest) -> OTLP.ExportTraceServiceRequest {
        var r = r
        for i in r.resourceSpans.indices {
            r.resourceSpans[i].resource.attributes = r.resourceSpans[i].resource.attributes.map(normalize)
            for j in r.resourceSpans[i].scopeSpans.indices {
                r.resourceSpans[i].scopeSpans[j].scope.attributes = r.resourceSpans[i].scopeSpans[j].scope.attributes.map(normalize)
                for k in r.resourceSpans[i].scopeSpans[j].spans.indices {
                    var s = r.resourceSpans[i].scopeSpans[j].spans[k]
                    s.attributes = s.attributes.map(normalize)
                    s.events = s.events.map {
                        var e = $0
                        e.attributes = e.attributes.map(normalize)
                        return e
                    }
                    s.links = s.links.map {
                        var l = $0
                        l.attributes = l.attributes.map(normalize)
                        return l
                    }
                    r.resourceSpans[i].scopeSpans[j].spans[k] = s
                }
            }
        }
        return r
    }

    static func normalize(_ kv: OTLP.KeyValue) -> OTLP.KeyValue { .init(kv.key, normalize(kv.value)) }

    static func normalize(_ v: OTLP.AnyValue) -> OTLP.AnyValue {
        switch v {
        case .double(let d): .kvlist([.init("double-bits", .int(Int64(bitPattern: d.bitPattern)))])
        case .array(let values): .array(values.map(normalize))
        case .kvlist(let values): .kvlist(values.map(normalize))
        default: v
        }
    }
}
