import XCTest

@testable import Telemetry

/// A deterministic generator, so a failing fuzz case can be reproduced from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The decoder faces whatever arrives on port 4318. It must answer every input with a value or an
/// `OTLPDecodingError` — never trap, never hang, never allocate what a length prefix merely claims.
final class OTLPDecoderRobustnessTests: XCTestCase {
    private let valid = OTLPFixtures.fullRequest.protobufBytes()

    func testRandomBytesNeverTrap() {
        var rng = SplitMix64(seed: 1)
        var decodedCount = 0
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...256, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if (try? OTLP.ExportTraceServiceRequest(protobuf: bytes)) != nil { decodedCount += 1 }
            _ = try? OTLP.ExportTraceServiceResponse(protobuf: bytes)
        }
        // Sanity: the loop really exercised the decoder (the empty input at least decodes).
        XCTAssertGreaterThan(decodedCount, 0)
    }

    func testBitFlipsNeverTrap() {
        var rng = SplitMix64(seed: 2)
        var rejected = 0
        for _ in 0..<5_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            }
            if (try? OTLP.ExportTraceServiceRequest(protobuf: bytes)) == nil { rejected += 1 }
        }
        XCTAssertGreaterThan(rejected, 100, "bit flips should often produce rejected input")
    }

    func testEveryTruncationIsRejectedOrDecodes() {
        var rejected = 0
        for cut in 0..<valid.count {
            let prefix = valid[0..<cut]
            do {
                _ = try OTLP.ExportTraceServiceRequest(protobuf: prefix)
            } catch let error as OTLPDecodingError {
                rejected += 1
                XCTAssertLessThanOrEqual(error.offset, cut, "error offset must point inside the input")
            } catch {
                XCTFail("unexpected error type \(error)")
            }
        }
        XCTAssertGreaterThan(rejected, valid.count / 2)
    }

    func testLengthTamperingNeverTraps() {
        var rng = SplitMix64(seed: 3)
        // Find every length-delimited field's length byte position by walking the valid encoding.
        for _ in 0..<3_000 {
            var bytes = valid
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            // Insert a bogus huge varint length (up to 2^64-1) or a small off-by-some value.
            let replacement: [UInt8] =
                Bool.random(using: &rng)
                ? [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
                : [UInt8.random(in: 0...0x7F, using: &rng)]
            bytes.replaceSubrange(i..<min(i + 1, bytes.count), with: replacement)
            _ = try? OTLP.ExportTraceServiceRequest(protobuf: bytes)
        }
    }

    func testHugeClaimedLengthIsRejectedWithoutAllocating() {
        // resource_spans (field 1, wire type 2) claiming 2^62 bytes.
        let bytes: [UInt8] = [0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]
        XCTAssertThrowsError(try OTLP.ExportTraceServiceRequest(protobuf: bytes)) { error in
            guard case .lengthOutOfBounds(let length, let remaining)? = (error as? OTLPDecodingError)?.reason else {
                return XCTFail("expected lengthOutOfBounds, got \(error)")
            }
            XCTAssertEqual(length, 1 << 62)
            XCTAssertEqual(remaining, 0)
        }
    }

    func testDeepAnyValueNestingIsRejectedNotAStackOverflow() {
        // AnyValue{array_value{values: AnyValue{array_value{...}}}} a million levels deep would blow the
        // stack of a naive recursive decoder; build it from the inside out.
        var inner: [UInt8] = []
        for _ in 0..<5_000 {
            var array = ProtobufWriter() // ArrayValue { values = 1 }
            array.writeTag(1, .lengthDelimited)
            array.writeLengthDelimited(inner)
            var any = ProtobufWriter() // AnyValue { array_value = 5 }
            any.writeTag(5, .lengthDelimited)
            any.writeLengthDelimited(array.bytes)
            inner = any.bytes
        }
        var kv = ProtobufWriter()
        kv.writeTag(2, .lengthDelimited)
        kv.writeLengthDelimited(inner)
        var resource = ProtobufWriter()
        resource.writeTag(1, .lengthDelimited)
        resource.writeLengthDelimited(kv.bytes)
        var rs = ProtobufWriter()
        rs.writeTag(1, .lengthDelimited)
        rs.writeLengthDelimited(resource.bytes)
        var request = ProtobufWriter()
        request.writeTag(1, .lengthDelimited)
        request.writeLengthDelimited(rs.bytes)
        XCTAssertThrowsError(try OTLP.ExportTraceServiceRequest(protobuf: request.bytes)) { error in
            XCTAssertEqual((error as? OTLPDecodingError)?.reason, .nestingTooDeep(limit: ProtobufReader.maxDepth))
        }
    }

    func testModerateNestingDecodes() throws {
        var value = OTLP.AnyValue.string("core")
        for _ in 0..<40 { value = .array([value]) }
        let request = OTLP.ExportTraceServiceRequest(resourceSpans: [.init(resource: .init(attributes: [.init("nested", value)]))])
        XCTAssertEqual(try OTLP.ExportTraceServiceRequest(protobuf: request.protobufBytes()), request)
    }

    func testUnknownFieldsOfEveryWireTypeAreSkipped() throws {
        var w = ProtobufWriter()
        w.writeTag(99, .varint)
        w.writeVarint(.max)
        w.writeTag(100, .fixed64)
        w.writeFixed64(7)
        w.writeTag(101, .fixed32)
        w.writeFixed32(7)
        w.writeTag(102, .lengthDelimited)
        w.writeLengthDelimited([1, 2, 3])
        w.writeTag(103, .startGroup) // a group holding a field and a nested group
        w.writeTag(1, .varint)
        w.writeVarint(5)
        w.writeTag(104, .startGroup)
        w.writeTag(104, .endGroup)
        w.writeTag(103, .endGroup)
        let unknown = w.bytes
        let known = OTLPFixtures.fullRequest.protobufBytes()
        let decoded = try OTLP.ExportTraceServiceRequest(protobuf: unknown + known + unknown)
        XCTAssertTrue(OTLPComparison.identical(decoded, OTLPFixtures.fullRequest))
    }

    func testMalformedGroupsAndWireTypesAreRejectedWithTheirOffset() {
        func reason(_ bytes: [UInt8]) -> OTLPDecodingError? {
            do {
                _ = try OTLP.ExportTraceServiceRequest(protobuf: bytes)
                return nil
            } catch { return error as? OTLPDecodingError }
        }
        XCTAssertEqual(reason([0x1B])?.reason, .unterminatedGroup(field: 3)) // START_GROUP, no end
        XCTAssertEqual(reason([0x1C])?.reason, .unexpectedEndGroup(field: 3)) // END_GROUP alone
        XCTAssertEqual(reason([0x1B, 0x24])?.reason, .unexpectedEndGroup(field: 4)) // END for another field
        XCTAssertEqual(reason([0x0E])?.reason, .invalidWireType(6))
        XCTAssertEqual(reason([0x0F])?.reason, .invalidWireType(7))
        XCTAssertEqual(reason([0x02])?.reason, .invalidFieldNumber(0))
        XCTAssertEqual(reason([0x08, 0x01, 0x0E])?.offset, 2)
    }

    func testWrongWireTypeForAKnownFieldIsSkippedAsUnknown() throws {
        // resource_spans (field 1) sent as a varint: protobuf parsers treat it as an unknown field.
        XCTAssertEqual(try OTLP.ExportTraceServiceRequest(protobuf: [0x08, 0x05]), OTLP.ExportTraceServiceRequest())
    }

    func testInvalidUTF8InAStringIsAnErrorNamingTheField() {
        // Span name (field 5) = 0xFF inside request > resource_spans > scope_spans > spans.
        let span: [UInt8] = [0x2A, 0x01, 0xFF]
        let scope: [UInt8] = [0x12, UInt8(span.count)] + span
        let rs: [UInt8] = [0x12, UInt8(scope.count)] + scope
        let request: [UInt8] = [0x0A, UInt8(rs.count)] + rs
        XCTAssertThrowsError(try OTLP.ExportTraceServiceRequest(protobuf: request)) { error in
            let e = error as? OTLPDecodingError
            XCTAssertEqual(e?.reason, .invalidUTF8)
            XCTAssertEqual(e?.field, "resource_spans.scope_spans.spans.name")
            XCTAssertEqual(e?.offset, request.count - 1)
            XCTAssertTrue(e?.description.contains("byte \(request.count - 1)") ?? false, e?.description ?? "")
        }
    }

    func testRepeatedSingularMessageFieldsMerge() throws {
        // Two `status` fields: the first sets the message, the second the code; protobuf merges them.
        var first = ProtobufWriter()
        first.message(15, OTLP.Status(message: "m", code: 0))
        var second = ProtobufWriter()
        second.message(15, OTLP.Status(message: "", code: 2))
        var span = OTLP.Span()
        var reader = ProtobufReader(first.bytes + second.bytes)
        try span.merge(from: &reader)
        XCTAssertEqual(span.status, OTLP.Status(message: "m", code: 2))
    }
}
