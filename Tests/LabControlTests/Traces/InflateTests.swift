import Foundation
import XCTest

@testable import LabControl

/// Our DEFLATE decoder against Python's zlib (an independent encoder), at every interesting level.
final class InflateTests: XCTestCase {
    /// Text-like data with repeats (long matches, overlapping copies) and a random tail (literals).
    static let sample: [UInt8] = {
        var bytes = Array(String(repeating: "resourceSpans scopeSpans spans traceId spanId ", count: 300).utf8)
        bytes += [UInt8](repeating: 0x41, count: 5_000) // a run: distance-1 overlapping copies
        var rng = SystemRandomNumberGenerator()
        bytes += (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &rng) } // > 64 KiB: several stored blocks at level 0
        return bytes
    }()

    func testGunzipMatchesPythonAtLevels0Through9() throws {
        let input = try TracePythonPeer.temporaryFile(Self.sample)
        defer { try? FileManager.default.removeItem(at: input) }
        for level in [0, 1, 6, 9] {
            let output = try TracePythonPeer.temporaryFile()
            defer { try? FileManager.default.removeItem(at: output) }
            try TracePythonPeer.run("codec_peer.py", ["gzip", String(level), input.path, output.path])
            let compressed = [UInt8](try Data(contentsOf: output))
            XCTAssertEqual(try Inflate.gunzip(compressed, maxOutput: 1 << 20), Self.sample, "level \(level)")
        }
    }

    func testZlibMatchesPython() throws {
        let input = try TracePythonPeer.temporaryFile(Self.sample)
        let output = try TracePythonPeer.temporaryFile()
        defer {
            try? FileManager.default.removeItem(at: input)
            try? FileManager.default.removeItem(at: output)
        }
        try TracePythonPeer.run("codec_peer.py", ["zlib", "9", input.path, output.path])
        XCTAssertEqual(try Inflate.zlibInflate([UInt8](try Data(contentsOf: output)), maxOutput: 1 << 20), Self.sample)
    }

    func testKnownVectorsAndDamage() throws {
        // `printf 'hello hello hello\n' | gzip -n -9`, fixed Huffman block with a back-reference.
        let hello: [UInt8] = [
            0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x57,
            0xC8, 0x40, 0x90, 0x5C, 0x00, 0x3B, 0x7C, 0x8A, 0xDF, 0x12, 0x00, 0x00, 0x00,
        ]
        XCTAssertEqual(String(decoding: try Inflate.gunzip(hello, maxOutput: 100), as: UTF8.self), "hello hello hello\n")

        XCTAssertThrowsError(try Inflate.gunzip(Array(hello.prefix(15)), maxOutput: 100)) { error in
            XCTAssertEqual(error as? Inflate.Failure, .malformed("compressed data ends early"))
        }
        var badCRC = hello
        badCRC[hello.count - 8] ^= 1
        XCTAssertThrowsError(try Inflate.gunzip(badCRC, maxOutput: 100)) { error in
            XCTAssertEqual(error as? Inflate.Failure, .malformed("gzip CRC-32 mismatch"))
        }
        XCTAssertThrowsError(try Inflate.gunzip(Array("not gzip at all".utf8), maxOutput: 100))
        XCTAssertThrowsError(try Inflate.gunzip(hello, maxOutput: 10)) { error in
            XCTAssertEqual(error as? Inflate.Failure, .tooLarge(limit: 10))
        }
    }
}
