import XCTest

@testable import Telemetry

/// `traceparent`/`tracestate` parsing per W3C Trace Context Level 1, including the cases of the W3C
/// test suite (https://github.com/w3c/trace-context/tree/main/test).
final class W3CTraceContextTests: XCTestCase {
    let valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    func testParsesTheSpecExample() throws {
        let parsed = try XCTUnwrap(W3CTraceContext.parseTraceparent(valid))
        XCTAssertEqual(parsed.traceID.hex, "0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(parsed.spanID.hex, "b7ad6b7169203331")
        XCTAssertEqual(parsed.flags, 1)
        XCTAssertEqual(W3CTraceContext.parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")?.flags, 0)
        XCTAssertEqual(W3CTraceContext.parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff")?.flags, 0xFF)
    }

    func testFormatIsTheInverseOfParse() throws {
        let context = SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: 0x0B)
        let header = W3CTraceContext.formatTraceparent(context)
        XCTAssertEqual(header, "00-00000000000000010000000000000002-0000000000000003-0b")
        let parsed = try XCTUnwrap(W3CTraceContext.parseTraceparent(header))
        XCTAssertEqual(parsed.traceID, context.traceID)
        XCTAssertEqual(parsed.spanID, context.spanID)
        XCTAssertEqual(parsed.flags, 0x0B)
    }

    func testRejectsMalformedTraceparents() {
        let invalid: [(String, String)] = [
            ("", "empty"),
            ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0", "flags too short"),
            ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-011", "version 00 must be exactly 55 chars"),
            ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra", "version 00 with extra field"),
            ("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01", "uppercase hex"),
            ("00-0af7651916cd43dd8448eb211c80319c-B7ad6b7169203331-01", "uppercase in parent id"),
            ("00-00000000000000000000000000000000-b7ad6b7169203331-01", "all-zero trace id"),
            ("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "all-zero parent id"),
            ("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "version ff is forbidden"),
            ("0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "version not hex"),
            ("00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "wrong separator"),
            ("00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01", "wrong separator 2"),
            ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01", "wrong separator 3"),
            ("00-0af7651916cd43dd8448eb211c8031-9cb7ad6b7169203331-01", "misplaced dash"),
            ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g", "flags not hex"),
            ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01x", "parent id short"),
            ("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01.x", "future version, extra not after dash"),
            (
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01,00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "two headers joined"
            ),
            ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-\u{00e9}1", "non-ASCII"),
        ]
        for (header, why) in invalid {
            XCTAssertNil(W3CTraceContext.parseTraceparent(header), "accepted invalid traceparent (\(why)): \(header)")
        }
    }

    func testAcceptsFutureVersionsWithMoreFields() throws {
        let future = "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-will-be-like"
        let parsed = try XCTUnwrap(W3CTraceContext.parseTraceparent(future))
        XCTAssertEqual(parsed.spanID.hex, "b7ad6b7169203331")
        XCTAssertNotNil(W3CTraceContext.parseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
    }

    func testSurroundingWhitespaceIsIgnored() {
        XCTAssertNotNil(W3CTraceContext.parseTraceparent("  \(valid)\t"))
    }

    func testTracestateValidation() {
        let accepted = [
            "rojo=00f067aa0ba902b7",
            "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
            "rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE",
            "a=1,,b=2", // empty list members are allowed
            "tenant1@system=value",
            "0tenant@sys=v",
            "k-*_/=v with spaces inside",
            (1...32).map { "k\($0)=v" }.joined(separator: ","),
        ]
        for header in accepted {
            XCTAssertNotNil(W3CTraceContext.validateTracestate(header), "rejected valid tracestate: \(header)")
        }
        XCTAssertEqual(W3CTraceContext.validateTracestate(" a=1 ,b=2 "), "a=1 ,b=2", "kept verbatim, trimmed")
        let rejected = [
            "Rojo=1", // uppercase key
            "1abc=1", // simple key must start with a letter
            "a=", // empty value
            "a=1,a=2", // duplicate key
            "a", // no '='
            "a=b=c", // '=' in value
            "a=x\u{7f}", // DEL
            "t@=1", // empty system id
            "t@SYS=1", // uppercase system id
            "t@sys1234567890123=1", // system id too long (> 14)
            String(repeating: "k", count: 257) + "=v", // key too long
            "k=" + String(repeating: "v", count: 257), // value too long
            (1...33).map { "k\($0)=v" }.joined(separator: ","), // 33 members
        ]
        for header in rejected {
            XCTAssertNil(W3CTraceContext.validateTracestate(header), "accepted invalid tracestate: \(header)")
        }
        // Spaces after a value are optional whitespace around the member, not part of the value.
        XCTAssertNotNil(W3CTraceContext.validateTracestate("a=trailing "))
    }

    /// Random and mutated headers never trap, and whatever is accepted really obeys the grammar.
    func testFuzzedHeadersNeverTrap() {
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("0123456789abcdefABCDEF-=,@ \t*/_xyz\u{00e9}🎉".unicodeScalars)
        var accepted = 0
        for i in 0..<20_000 {
            var header: String
            if i % 2 == 0 {
                header = String(
                    String.UnicodeScalarView((0..<Int.random(in: 0...70, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
            } else {
                var scalars = Array(valid.unicodeScalars)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0 where !scalars.isEmpty:
                        scalars[Int.random(in: 0..<scalars.count, using: &rng)] = alphabet.randomElement(using: &rng)!
                    case 1 where !scalars.isEmpty: scalars.remove(at: Int.random(in: 0..<scalars.count, using: &rng))
                    default: scalars.insert(alphabet.randomElement(using: &rng)!, at: Int.random(in: 0...scalars.count, using: &rng))
                    }
                }
                header = String(String.UnicodeScalarView(scalars))
            }
            if let parsed = W3CTraceContext.parseTraceparent(header) {
                accepted += 1
                XCTAssertTrue(parsed.traceID.isValid && parsed.spanID.isValid, header)
                XCTAssertFalse(header.contains(where: \.isUppercase), header)
            }
            _ = W3CTraceContext.validateTracestate(header)
        }
        XCTAssertGreaterThan(accepted, 0, "mutations that keep the header valid (e.g. a changed hex digit) exist")
    }
}
