import XCTest

@testable import Telemetry

final class SpanContextTests: XCTestCase {
    func testTraceIDHexRoundTrip() throws {
        let id = TraceID(high: 0x0af7_6519_16cd_43dd, low: 0x8448_eb21_1c80_319c)
        XCTAssertEqual(id.hex, "0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(TraceID(hex: id.hex[...]), id)
        XCTAssertEqual(TraceID(bytes: id.bytes), id)
        XCTAssertEqual(id.bytes.count, 16)
    }

    func testSpanIDHexRoundTrip() throws {
        let id = SpanID(0x00f0_67aa_0ba9_02b7)
        XCTAssertEqual(id.hex, "00f067aa0ba902b7")
        XCTAssertEqual(SpanID(hex: id.hex[...]), id)
        XCTAssertEqual(SpanID(bytes: id.bytes), id)
    }

    func testIdBytesAreBigEndianInNetworkOrder() {
        XCTAssertEqual(TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10).bytes, Array(1...16))
        XCTAssertEqual(SpanID(0xf1f2_f3f4_f5f6_f7f8).bytes, [0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8])
    }

    func testRejectsMalformedHex() {
        XCTAssertNil(TraceID(hex: "0af7651916cd43dd8448eb211c80319")) // 31 chars
        XCTAssertNil(TraceID(hex: "0af7651916cd43dd8448eb211c80319g")) // not hex
        XCTAssertNil(SpanID(hex: "00f067aa0ba902b"))
        XCTAssertNil(SpanID(bytes: [1, 2, 3]))
    }

    func testRandomIDsAreValid() {
        for _ in 0..<100 {
            XCTAssertTrue(TraceID.random().isValid)
            XCTAssertTrue(SpanID.random().isValid)
        }
    }
}
