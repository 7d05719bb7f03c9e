// JSONValue writes its JSON by hand (it is on every lab response's path); Foundation's JSONEncoder
// with `.sortedKeys` is the independent implementation it must match byte for byte.

import Foundation
import XCTest

@testable import LabKit

final class JSONValueEncodingTests: XCTestCase {
    private func viaJSONEncoder(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func testMatchesJSONEncoderOnEveryKindOfValue() throws {
        let values: [JSONValue] = [
            .null, true, false, 0, -0.0, 3, -42, 0.1, 2.5, -1.25e-7, 1.5e20, 123_456_789.125, 3e15, .number(1e15 - 1),
            "", "plain", "quote \" backslash \\ slash / newline \n return \r tab \t bell \u{7} nul \u{0} \u{1F} del \u{7F}",
            "\u{8}\u{C} é 😀 日本",
            [], [1, "two", .null, [false]],
            [:], ["b": 1, "a": ["z": .null, "B": "x", "_": 0.5], "a10": 1, "a9": 2, "é": "e", "Z": []],
        ]
        for value in values {
            XCTAssertEqual(value.encodedString(), try viaJSONEncoder(value), "\(value)")
        }
    }

    func testTheOutputParsesBackToTheSameValue() throws {
        let value: JSONValue = ["service": "backend", "attempts": [1, 2.5, "x/y"], "ok": true, "nested": ["k": .null]]
        XCTAssertEqual(try JSONValue.parse(Array(value.encodedString().utf8)), value)
    }

    func testNonFiniteNumbersBecomeNullInsteadOfFailingTheDocument() {
        let value: JSONValue = ["nan": .number(.nan), "inf": .number(.infinity), "n": 1]
        XCTAssertEqual(value.encodedString(), #"{"inf":null,"n":1,"nan":null}"#)
    }

    /// The quoting the generated Compose files and Prometheus configurations use: the same escapes,
    /// slashes left alone; parsing it back (as JSON, whose strings YAML's double-quoted scalars
    /// accept) gives the original string.
    func testQuotedWithoutSlashEscapesRoundTrips() throws {
        for text in ["", "/metrics", "a \"quoted\" \\ path/with $VAR", "tab\tnew\nline\r\u{1} é 😀"] {
            let quoted = JSONValue.quoted(text, escapingSlashes: false)
            XCTAssertFalse(quoted.contains("\\/"), quoted)
            let parsed = try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: [.fragmentsAllowed]) as? String
            XCTAssertEqual(parsed, text)
            XCTAssertEqual(JSONValue.quoted(text, escapingSlashes: true), JSONValue.string(text).encodedString())
        }
    }
}
