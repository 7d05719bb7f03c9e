import Foundation
import XCTest

@testable import Telemetry

/// Our protobuf checked against an implementation that is not ours: the official OpenTelemetry Python
/// bindings (opentelemetry-proto on protobuf/upb) and the Python SDK's OTLP exporter encoder.
final class OTLPPythonInteropTests: XCTestCase {
    /// Our bytes, decoded by Python, match what we recorded field by field.
    func testPythonDecodesOurRequestFieldByField() throws {
        try assertPythonReadsBack(OTLPFixtures.fullRequest)
    }

    /// Edge values: an empty request, a 1 MB attribute, extreme numbers.
    func testPythonDecodesEdgeValues() throws {
        try assertPythonReadsBack(OTLP.ExportTraceServiceRequest())
        let huge = String(repeating: "λ-0123456789", count: 80_000) // ~1 MB of UTF-8
        let span = OTLP.Span(
            traceID: Array(repeating: 0xFF, count: 16), spanID: Array(repeating: 0xFF, count: 8),
            flags: .max, name: huge, kind: -1, startTimeUnixNano: .max, endTimeUnixNano: 1,
            attributes: [.init("huge", .string(huge)), .init("huge.bytes", .bytes(Array(repeating: 0xAB, count: 1 << 20)))],
            droppedAttributesCount: .max, status: .init(message: "", code: .min))
        try assertPythonReadsBack(.init(resourceSpans: [.init(scopeSpans: [.init(spans: [span])])]))
    }

    /// Bytes Python built with every field set decode, through our decoder, to the same values.
    func testWeDecodePythonRequestWithEveryField() throws {
        let (bytes, expected) = try pythonOutput(mode: "make-request")
        let decoded = try OTLP.ExportTraceServiceRequest(protobuf: bytes)
        assertSame(decoded.json, expected)

        // Spot checks against literal values, so the comparison cannot pass by both sides being empty.
        let span = try XCTUnwrap(decoded.resourceSpans.first?.scopeSpans.first?.spans.first)
        XCTAssertEqual(span.name, "python span ✓")
        XCTAssertEqual(span.kind, OTLP.SpanKind.consumer.rawValue)
        XCTAssertEqual(span.endTimeUnixNano, .max)
        XCTAssertEqual(span.flags, .max)
        XCTAssertEqual(span.droppedAttributesCount, .max)
        XCTAssertEqual(span.attributes.first { $0.key == "i.min" }?.value, .int(.min))
        XCTAssertEqual(span.attributes.first { $0.key == "s.empty" }?.value, .string(""))
        XCTAssertEqual(span.attributes.first { $0.key == "unset" }?.value, .empty)
        guard case .double(let nan) = span.attributes.first(where: { $0.key == "d.nan" })?.value else {
            return XCTFail("d.nan is not a double")
        }
        XCTAssertTrue(nan.isNaN)
        XCTAssertEqual(span.status, .init(message: "boom", code: 2))
        XCTAssertEqual(decoded.resourceSpans.first?.scopeSpans.first?.spans[1].kind, -3)
        // Python re-encodes canonically in field order, as we do: the bytes are identical.
        XCTAssertEqual(decoded.protobufBytes(), Array(bytes))
    }

    /// What the OpenTelemetry Python SDK really sends to a collector decodes through ours.
    func testWeDecodeWhatThePythonSDKExporterSends() throws {
        let (bytes, expected) = try pythonOutput(mode: "sdk-export")
        let decoded = try OTLP.ExportTraceServiceRequest(protobuf: bytes)
        assertSame(decoded.json, expected)
        let spans = decoded.resourceSpans.flatMap(\.scopeSpans).flatMap(\.spans)
        XCTAssertEqual(Set(spans.map(\.name)), ["parent", "child"])
        let child = try XCTUnwrap(spans.first { $0.name == "child" })
        let parent = try XCTUnwrap(spans.first { $0.name == "parent" })
        XCTAssertEqual(child.parentSpanID, parent.spanID)
        XCTAssertEqual(child.traceID, parent.traceID)
        XCTAssertEqual(child.events.first?.name, "exception")
        XCTAssertEqual(parent.attributes.first { $0.key == "counts" }?.value, .array([.int(1), .int(2), .int(3)]))
    }

    func testPythonDecodesOurResponse() throws {
        for response in [OTLP.ExportTraceServiceResponse(), .init(rejectedSpans: -5, errorMessage: "ünïcode ✓")] {
            let input = try TemporaryFiles.make("response.bin")
            let output = try TemporaryFiles.make("response.json")
            try Data(response.protobufBytes()).write(to: input)
            let run = try PythonPeer.run("otlp_peer.py", ["decode-response", input.path, output.path])
            XCTAssertEqual(run.status, 0, run.stderr)
            assertSame(
                try CanonicalJSON.parse(output),
                ["rejected_spans": String(response.rejectedSpans), "error_message": response.errorMessage])
        }
    }

    /// Python must reject what our decoder rejects for the same reason (here: a truncated request),
    /// which shows the peer really parses rather than echoing.
    func testPythonRejectsTruncatedBytesAsWeDo() throws {
        let bytes = OTLPFixtures.fullRequest.protobufBytes()
        let truncated = Array(bytes.dropLast(3))
        XCTAssertThrowsError(try OTLP.ExportTraceServiceRequest(protobuf: truncated))
        let input = try TemporaryFiles.make("truncated.bin")
        try Data(truncated).write(to: input)
        let run = try PythonPeer.run("otlp_peer.py", ["decode-request", input.path, try TemporaryFiles.make("x.json").path])
        XCTAssertEqual(run.status, 2, "Python accepted a truncated request: \(run.stderr)")
    }

    // MARK: helpers

    private func assertPythonReadsBack(_ request: OTLP.ExportTraceServiceRequest, file: StaticString = #filePath, line: UInt = #line) throws
    {
        let input = try TemporaryFiles.make("request.bin")
        let output = try TemporaryFiles.make("request.json")
        try Data(request.protobufBytes()).write(to: input)
        let run = try PythonPeer.run("otlp_peer.py", ["decode-request", input.path, output.path])
        XCTAssertEqual(run.status, 0, "Python could not decode our bytes: \(run.stderr)", file: file, line: line)
        assertSame(request.json, try CanonicalJSON.parse(output), file: file, line: line)
    }

    private func pythonOutput(mode: String) throws -> (Data, Any) {
        let bin = try TemporaryFiles.make("\(mode).bin")
        let json = try TemporaryFiles.make("\(mode).json")
        let run = try PythonPeer.run("otlp_peer.py", [mode, bin.path, json.path])
        guard run.status == 0 else { throw PythonPeer.Failure(description: "otlp_peer.py \(mode) failed: \(run.stderr)") }
        return (try Data(contentsOf: bin), try CanonicalJSON.parse(json))
    }

    private func assertSame(_ ours: Any, _ theirs: Any, file: StaticString = #filePath, line: UInt = #line) {
        let diffs = CanonicalJSON.differences(ours, theirs)
        XCTAssertTrue(diffs.isEmpty, "ours vs Python differ at:\n" + diffs.prefix(20).joined(separator: "\n"), file: file, line: line)
    }
}

/// Differential fuzzing: thousands of mutated requests decoded by our decoder and by Python's
/// (upb). Both must accept or reject the same inputs and, when they accept, agree on every field.
final class OTLPDifferentialDecodingTests: XCTestCase {
    func testOurDecoderAgreesWithPythonOnMutatedInputs() throws {
        var rng = SplitMix64(seed: 99)
        let pythonBytes = try TemporaryFiles.make("seed.bin")
        let seedRun = try PythonPeer.run("otlp_peer.py", ["make-request", pythonBytes.path, try TemporaryFiles.make("seed.json").path])
        XCTAssertEqual(seedRun.status, 0, seedRun.stderr)
        let seeds = [
            OTLPFixtures.fullRequest.protobufBytes(), OTLPFixtures.smallRequest.protobufBytes(),
            Array(try Data(contentsOf: pythonBytes)),
        ]
        var inputs: [[UInt8]] = seeds
        for i in 0..<4_000 {
            var bytes = seeds[i % seeds.count]
            switch i % 5 {
            case 0: // bit flips
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                }
            case 1: // truncation
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            case 2: // a random byte replaced
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 3: // a byte inserted
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            default: // a slice duplicated (repeated fields, merged messages, dangling lengths)
                let a = Int.random(in: 0..<bytes.count, using: &rng)
                let b = min(bytes.count, a + Int.random(in: 1...40, using: &rng))
                bytes.insert(contentsOf: bytes[a..<b], at: Int.random(in: 0...bytes.count, using: &rng))
            }
            inputs.append(bytes)
        }
        let input = try TemporaryFiles.make("many.json")
        let output = try TemporaryFiles.make("many-out.json")
        try JSONSerialization.data(withJSONObject: inputs.map(\.hexString)).write(to: input)
        let run = try PythonPeer.run("otlp_peer.py", ["decode-many", input.path, output.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let theirs = try XCTUnwrap(CanonicalJSON.parse(output) as? [[String: Any]])
        XCTAssertEqual(theirs.count, inputs.count)

        var disagreements: [String] = []
        var accepted = 0
        for (bytes, python) in zip(inputs, theirs) {
            let pythonOK = python["ok"] as? Bool ?? false
            let ours: OTLP.ExportTraceServiceRequest?
            var ourError = ""
            do { ours = try OTLP.ExportTraceServiceRequest(protobuf: bytes) } catch {
                ours = nil
                ourError = "\(error)"
            }
            switch (ours, pythonOK) {
            case (nil, false): break
            case (let ours?, true):
                accepted += 1
                let diffs = CanonicalJSON.differences(ours.json, python["request"]!)
                if !diffs.isEmpty { disagreements.append("\(bytes.hexString.prefix(60))…: fields differ: \(diffs.prefix(3))") }
            case (nil, true): disagreements.append("\(bytes.hexString.prefix(60))…: we reject (\(ourError)), Python accepts")
            case (_?, false): disagreements.append("\(bytes.hexString.prefix(60))…: we accept, Python rejects")
            }
        }
        XCTAssertTrue(disagreements.isEmpty, "\(disagreements.count) disagreements:\n" + disagreements.prefix(8).joined(separator: "\n"))
        XCTAssertGreaterThan(accepted, 200, "enough mutants decode to compare contents")
        XCTAssertGreaterThan(inputs.count - accepted, 200, "enough mutants are rejected to compare errors")
    }
}
