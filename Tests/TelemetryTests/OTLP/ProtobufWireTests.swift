import XCTest

@testable import Telemetry

/// The wire primitives, checked against byte sequences from the protobuf encoding guide.
final class ProtobufWireTests: XCTestCase {
    func testVarintsMatchTheEncodingGuide() throws {
        let cases: [(UInt64, [UInt8])] = [
            (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (150, [0x96, 0x01]),
            (300, [0xAC, 0x02]),
            (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ]
        for (value, bytes) in cases {
            var w = ProtobufWriter()
            w.writeVarint(value)
            XCTAssertEqual(w.bytes, bytes, "encoding \(value)")
            XCTAssertEqual(ProtobufWriter.varintSize(value), bytes.count, "size of \(value)")
            var r = ProtobufReader(bytes)
            XCTAssertEqual(try r.readVarint(), value, "decoding \(bytes)")
            XCTAssertTrue(r.isAtEnd)
        }
        for shift in 0..<64 { // every length boundary
            for value in [UInt64(1) << shift, (UInt64(1) << shift) - 1] {
                var w = ProtobufWriter()
                w.writeVarint(value)
                XCTAssertEqual(ProtobufWriter.varintSize(value), w.bytes.count, "size of \(value)")
            }
        }
    }

    func testNegativeInt64TakesTenBytes() throws {
        var w = ProtobufWriter()
        w.int64(3, -1)
        XCTAssertEqual(w.bytes, [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    func testFixedWidthIsLittleEndian() throws {
        var w = ProtobufWriter()
        w.writeFixed32(0x0102_0304)
        w.writeFixed64(0x0102_0304_0506_0708)
        XCTAssertEqual(w.bytes, [4, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1])
        var r = ProtobufReader(w.bytes)
        XCTAssertEqual(try r.readFixed32(), 0x0102_0304)
        XCTAssertEqual(try r.readFixed64(), 0x0102_0304_0506_0708)
    }

    func testProto3OmitsDefaultsButOneofMembersAreAlwaysWritten() {
        var w = ProtobufWriter()
        w.int64(1, 0)
        w.string(2, "")
        w.double(3, 0)
        w.bool(4, false)
        XCTAssertEqual(w.bytes, [])
        XCTAssertEqual(OTLP.AnyValue.int(0).serialized(), [0x18, 0x00])
        XCTAssertEqual(OTLP.AnyValue.string("").serialized(), [0x0A, 0x00])
        XCTAssertEqual(OTLP.AnyValue.bool(false).serialized(), [0x10, 0x00])
        XCTAssertEqual(OTLP.AnyValue.double(0).serialized(), [0x21, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(OTLP.AnyValue.empty.serialized(), [])
    }

    func testOverlongVarintIsAnError() {
        var r = ProtobufReader([UInt8](repeating: 0xFF, count: 10) + [0x01])
        XCTAssertThrowsError(try r.readVarint()) { error in
            XCTAssertEqual((error as? OTLPDecodingError)?.reason, .malformedVarint)
        }
        // A 10th byte with more than the one bit that fits: the overflow is dropped, as upb does.
        var overflowing = ProtobufReader([UInt8](repeating: 0xFF, count: 9) + [0x7F])
        XCTAssertEqual(try overflowing.readVarint(), .max)
        var truncated = ProtobufReader([0x80, 0x80])
        XCTAssertThrowsError(try truncated.readVarint()) { error in
            XCTAssertEqual((error as? OTLPDecodingError)?.reason, .truncated)
        }
    }
}
