import XCTest

@testable import Telemetry

/// The trace store's selective decoder: only the spans of the traces asked for, the same spans a full
/// decode keeps, and the same errors for bytes that do not decode.
final class OTLPSelectiveDecodingTests: XCTestCase {
    /// A batch of 3 resources × 2 scopes × 10 spans, spread over 5 traces.
    static let batch: OTLP.ExportTraceServiceRequest = {
        var request = OTLP.ExportTraceServiceRequest()
        var n: UInt8 = 0
        for r in 0..<3 {
            var resourceSpans = OTLP.ResourceSpans(resource: .init(attributes: [.init("service.name", .string("svc-\(r)"))]))
            for s in 0..<2 {
                var scopeSpans = OTLP.ScopeSpans(scope: .init(name: "scope-\(s)"))
                for _ in 0..<10 {
                    n += 1
                    scopeSpans.spans.append(
                        OTLP.Span(
                            traceID: [UInt8](repeating: 0, count: 15) + [n % 5 + 1], spanID: [0, 0, 0, 0, 0, 0, 0, n], name: "op-\(n)",
                            attributes: [.init("n", .int(Int64(n)))]))
                }
                resourceSpans.scopeSpans.append(scopeSpans)
            }
            request.resourceSpans.append(resourceSpans)
        }
        return request
    }()

    func testKeepsExactlyTheSpansOfTheWantedTraces() throws {
        let bytes = Self.batch.protobufBytes()
        let wanted: Set<UInt8> = [2, 4]
        let selected = try OTLP.ExportTraceServiceRequest(protobuf: bytes) { wanted.contains($0.last ?? 0) }
        let expected = Self.batch.resourceSpans.flatMap { rs in rs.scopeSpans.flatMap { $0.spans } }.filter {
            wanted.contains($0.traceID.last!)
        }
        let got = selected.resourceSpans.flatMap { rs in rs.scopeSpans.flatMap { $0.spans } }
        XCTAssertEqual(got, expected)
        XCTAssertEqual(got.count, 24)
        // Each kept span still carries its own resource and scope.
        XCTAssertEqual(selected.resourceSpans.map(\.resource), Self.batch.resourceSpans.map(\.resource))
        XCTAssertEqual(selected.resourceSpans[1].scopeSpans.map(\.scope), Self.batch.resourceSpans[1].scopeSpans.map(\.scope))
    }

    /// Everything but the resources that hold no span (the fixture's last one), which a reader of
    /// spans has no use for.
    func testKeepingEverySpanIsTheFullDecode() throws {
        var full = OTLPFixtures.fullRequest
        let selected = try OTLP.ExportTraceServiceRequest(protobuf: full.protobufBytes()) { _ in true }
        full.resourceSpans.removeAll { rs in rs.scopeSpans.allSatisfy { $0.spans.isEmpty } }
        XCTAssertEqual(selected.protobufBytes(), full.protobufBytes())
    }

    func testKeepingNothingDecodesNoSpan() throws {
        let selected = try OTLP.ExportTraceServiceRequest(protobuf: Self.batch.protobufBytes()) { _ in false }
        XCTAssertEqual(selected.resourceSpans.count, 0)
    }

    /// A truncated batch is an error however few spans are wanted: the store reports a damaged record.
    func testTruncatedBytesAreAnError() {
        let bytes = Self.batch.protobufBytes()
        XCTAssertThrowsError(try OTLP.ExportTraceServiceRequest(protobuf: Array(bytes.dropLast(3))) { _ in false })
    }
}
