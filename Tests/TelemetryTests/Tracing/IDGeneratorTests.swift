import Tracing
import XCTest

@testable import Telemetry

final class IDGeneratorTests: XCTestCase {
    /// The reference algorithm (SplitMix64 seeding, then xoshiro256**) computed independently in Python:
    /// SplitMix64 from seed 0 gives the well-known 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, …
    func testXoshiroMatchesTheReferenceSequence() {
        var rng = Xoshiro256StarStar(seed: 0)
        XCTAssertEqual([rng.next(), rng.next(), rng.next()], [0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a, 0x1a5f_849d_4933_e6e0])
    }

    func testIdsAreValidAndDistinctAcrossThreads() async {
        let generator = IDGenerator()
        let ids = await withTaskGroup(of: [(TraceID, SpanID)].self) { group in
            for _ in 0..<4 { group.addTask { (0..<5_000).map { _ in generator.ids(traceID: nil) } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        XCTAssertEqual(ids.count, 20_000)
        XCTAssertTrue(ids.allSatisfy { $0.0.isValid && $0.1.isValid })
        XCTAssertEqual(Set(ids.map(\.0)).count, 20_000, "trace ids repeat")
        XCTAssertEqual(Set(ids.map(\.1)).count, 20_000, "span ids repeat")
    }

    func testAnExistingTraceIDIsKept() {
        let parent = TraceID(high: 1, low: 2)
        let (traceID, spanID) = IDGenerator().ids(traceID: parent)
        XCTAssertEqual(traceID, parent)
        XCTAssertTrue(spanID.isValid)
    }

    func testTwoGeneratorsStartFromDifferentSystemSeeds() {
        XCTAssertNotEqual(IDGenerator().ids(traceID: nil).0, IDGenerator().ids(traceID: nil).0)
    }

    func testTracerStartsSpansWithFreshIdsAndKeepsTheParentsTrace() {
        let tracer = TelemetryTracer(processor: InMemorySpanProcessor())
        let root = tracer.startSpan(
            "root", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now,
            function: #function, file: #fileID, line: #line)
        let child = tracer.startSpan(
            "child", context: root.context, ofKind: .internal, at: DefaultTracerClock.now,
            function: #function, file: #fileID, line: #line)
        XCTAssertEqual(child.spanContext.traceID, root.spanContext.traceID)
        XCTAssertNotEqual(child.spanContext.spanID, root.spanContext.spanID)
        XCTAssertEqual(child.parent?.spanID, root.spanContext.spanID)
        root.end()
        child.end()
    }
}
