import Foundation
import Tracing
import XCTest

@testable import Telemetry

/// Our W3C Trace Context parsing compared, case by case, with the OpenTelemetry Python API's
/// propagator on thousands of generated headers: valid ones, mutations, and grammar-aware tracestates.
final class W3CPythonDifferentialTests: XCTestCase {
    private struct Case: Codable {
        var traceparent: String?
        var tracestate: String?
    }

    private struct Outcome: Codable, Equatable {
        var valid: Bool
        var trace_id: String?
        var span_id: String?
        var flags: Int?
        var tracestate: [[String]]?
    }

    func testOurExtractionAgreesWithThePythonPropagator() throws {
        let cases = generateCases()
        let input = try TemporaryFiles.make("w3c-cases.json")
        let output = try TemporaryFiles.make("w3c-python.json")
        try JSONEncoder().encode(cases).write(to: input)
        let run = try PythonPeer.run("w3c_peer.py", [input.path, output.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let theirs = try JSONDecoder().decode([Outcome].self, from: Data(contentsOf: output))
        XCTAssertEqual(theirs.count, cases.count)

        var disagreements: [String] = []
        for (c, python) in zip(cases, theirs) {
            let ours = extractOurs(c)
            if ours != python { disagreements.append("\(c) → ours \(ours) vs Python \(python)") }
        }
        XCTAssertTrue(
            disagreements.isEmpty, "\(disagreements.count) disagreements, first:\n" + disagreements.prefix(10).joined(separator: "\n"))
        // The corpus must contain both kinds, or the comparison proves little.
        let validCount = theirs.filter(\.valid).count
        XCTAssertGreaterThan(validCount, cases.count / 10)
        XCTAssertGreaterThan(cases.count - validCount, cases.count / 10)
        XCTAssertGreaterThan(theirs.filter { ($0.tracestate ?? []).count > 0 }.count, 100)
    }

    /// What we inject, Python extracts to the same trace id, span id, flags and tracestate.
    func testPythonExtractsWhatWeInject() throws {
        var rng = SplitMix64(seed: 5)
        let tracer = TelemetryTracer(processor: InMemorySpanProcessor())
        var expected: [Outcome] = []
        var cases: [Case] = []
        for i in 0..<500 {
            var parent = ServiceContext.topLevel
            parent.spanContext = SpanContext(
                traceID: TraceID.random(using: &rng), spanID: SpanID.random(using: &rng),
                traceFlags: UInt8(i % 2), traceState: i % 3 == 0 ? "" : "v\(i)=x,other@sys=\(i)", isRemote: true)
            let span = tracer.startSpan("s", context: parent)
            let headers = tracer.injected(span.context)
            cases.append(Case(traceparent: headers["traceparent"], tracestate: headers["tracestate"]))
            expected.append(extractOurs(cases.last!))
            XCTAssertEqual(expected.last?.span_id, span.spanContext.spanID.hex)
        }
        let input = try TemporaryFiles.make("w3c-inject.json")
        let output = try TemporaryFiles.make("w3c-inject-python.json")
        try JSONEncoder().encode(cases).write(to: input)
        let run = try PythonPeer.run("w3c_peer.py", [input.path, output.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let theirs = try JSONDecoder().decode([Outcome].self, from: Data(contentsOf: output))
        XCTAssertEqual(theirs, expected)
        XCTAssertTrue(theirs.allSatisfy(\.valid))
    }

    private func extractOurs(_ c: Case) -> Outcome {
        var carrier: [String: String] = [:]
        carrier["traceparent"] = c.traceparent
        carrier["tracestate"] = c.tracestate
        var context = ServiceContext.topLevel
        W3CTraceContextPropagator().extract(carrier, into: &context, using: HeaderExtractor())
        guard let span = context.spanContext else { return Outcome(valid: false) }
        // Our tracestate is kept verbatim; compare its members, as Python stores them.
        let members = span.traceState.split(separator: ",").compactMap { member -> [String]? in
            let trimmed = member.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            guard let eq = trimmed.firstIndex(of: "=") else { return nil }
            return [String(trimmed[..<eq]), String(trimmed[trimmed.index(after: eq)...])]
        }
        return Outcome(valid: true, trace_id: span.traceID.hex, span_id: span.spanID.hex, flags: Int(span.traceFlags), tracestate: members)
    }

    private func generateCases() -> [Case] {
        var rng = SplitMix64(seed: 42)
        let validParents = [
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-future-field",
            " \t00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
        ]
        let parentAlphabet = Array("0123456789abcdefABCDEF-fx \t.".unicodeScalars)
        let stateAlphabet = Array("abcz09_-*/@=, \t!~\"XYZé".unicodeScalars)
        func mutate(_ s: String, alphabet: [Unicode.Scalar]) -> String {
            var scalars = Array(s.unicodeScalars)
            for _ in 0..<Int.random(in: 1...2, using: &rng) {
                switch Int.random(in: 0...2, using: &rng) {
                case 0 where !scalars.isEmpty:
                    scalars[Int.random(in: 0..<scalars.count, using: &rng)] = alphabet.randomElement(using: &rng)!
                case 1 where !scalars.isEmpty: scalars.remove(at: Int.random(in: 0..<scalars.count, using: &rng))
                default: scalars.insert(alphabet.randomElement(using: &rng)!, at: Int.random(in: 0...scalars.count, using: &rng))
                }
            }
            return String(String.UnicodeScalarView(scalars))
        }
        func randomKey() -> String {
            let letters = Array("abcdefghijklmnopqrstuvwxyz")
            let tail = Array("abcxyz0189_-*/")
            var key = String(letters.randomElement(using: &rng)!)
            for _ in 0..<Int.random(in: 0...6, using: &rng) { key.append(tail.randomElement(using: &rng)!) }
            if Int.random(in: 0...4, using: &rng) == 0 { key += "@" + String(letters.randomElement(using: &rng)!) + "sys" }
            return key
        }
        func randomTracestate() -> String {
            let count = Int.random(in: 0...35, using: &rng)
            var members = (0..<count).map { _ in "\(randomKey())=v\(Int.random(in: 0...999, using: &rng))" }
            if Int.random(in: 0...3, using: &rng) == 0 { members.insert("", at: 0) } // empty member
            let separator = [",", ", ", " ,\t"].randomElement(using: &rng)!
            return members.joined(separator: separator)
        }

        var cases: [Case] = []
        for i in 0..<4_000 {
            let parent: String
            switch i % 4 {
            case 0: parent = validParents.randomElement(using: &rng)!
            case 1, 2: parent = mutate(validParents.randomElement(using: &rng)!, alphabet: parentAlphabet)
            default:
                parent = String(
                    String.UnicodeScalarView(
                        (0..<Int.random(in: 50...60, using: &rng)).map { _ in parentAlphabet.randomElement(using: &rng)! }))
            }
            var state: String? = randomTracestate()
            if i % 3 == 0, let s = state { state = mutate(s, alphabet: stateAlphabet) }
            if i % 11 == 0 { state = nil }
            // A valid traceparent with each tracestate, so the tracestate rules are compared too.
            cases.append(Case(traceparent: parent, tracestate: state))
            cases.append(Case(traceparent: validParents[0], tracestate: state))
        }
        return cases
    }
}
