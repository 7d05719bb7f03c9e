import XCTest

@testable import Telemetry

final class SamplerTests: XCTestCase {
    private func ids(_ count: Int, seed: UInt64) -> [TraceID] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in TraceID.random(using: &rng) }
    }

    func testRatioSamplesAboutTheRatio() {
        let sampler = TraceIDRatioSampler(ratio: 0.25)
        let sampled = ids(10_000, seed: 11).filter { sampler.shouldSample(traceID: $0, parent: nil, operationName: "op") }.count
        // Binomial(10000, 0.25): sd ≈ 43; ±500 is more than 10 sd and still proves the ratio.
        XCTAssertTrue((2_000...3_000).contains(sampled), "sampled \(sampled) of 10000 at ratio 0.25")
    }

    func testRatioDecisionUsesTheLowerEightBytesOnly() {
        let sampler = TraceIDRatioSampler(ratio: 0.5)
        XCTAssertTrue(sampler.shouldSample(traceID: TraceID(high: .max, low: 0x7FFF_FFFF_FFFF_FFFF), parent: nil, operationName: ""))
        XCTAssertFalse(sampler.shouldSample(traceID: TraceID(high: 0, low: 0x8000_0000_0000_0000), parent: nil, operationName: ""))
        // The same trace id gets the same decision everywhere (all services agree on a trace).
        for id in ids(100, seed: 12) {
            XCTAssertEqual(
                sampler.shouldSample(traceID: id, parent: nil, operationName: "a"),
                TraceIDRatioSampler(ratio: 0.5).shouldSample(traceID: id, parent: nil, operationName: "b"))
        }
    }

    func testRatioEdges() {
        let all = ids(1_000, seed: 13)
        XCTAssertTrue(all.allSatisfy { TraceIDRatioSampler(ratio: 1).shouldSample(traceID: $0, parent: nil, operationName: "") })
        XCTAssertFalse(all.contains { TraceIDRatioSampler(ratio: 0).shouldSample(traceID: $0, parent: nil, operationName: "") })
        XCTAssertEqual(TraceIDRatioSampler(ratio: 7).ratio, 1)
        XCTAssertEqual(TraceIDRatioSampler(ratio: -1).ratio, 0)
    }

    func testParentBasedHonoursTheParentsSampledFlag() {
        let sampler = ParentBasedSampler(root: AlwaysOffSampler())
        let id = TraceID(high: 1, low: 1)
        func parent(sampled: Bool, remote: Bool) -> SpanContext {
            SpanContext(traceID: id, spanID: SpanID(2), traceFlags: sampled ? 1 : 0, isRemote: remote)
        }
        XCTAssertFalse(sampler.shouldSample(traceID: id, parent: nil, operationName: ""), "root decides for roots")
        XCTAssertTrue(sampler.shouldSample(traceID: id, parent: parent(sampled: true, remote: true), operationName: ""))
        XCTAssertTrue(sampler.shouldSample(traceID: id, parent: parent(sampled: true, remote: false), operationName: ""))
        XCTAssertFalse(
            ParentBasedSampler(root: AlwaysOnSampler()).shouldSample(
                traceID: id, parent: parent(sampled: false, remote: true), operationName: ""))
        XCTAssertFalse(
            ParentBasedSampler(root: AlwaysOnSampler()).shouldSample(
                traceID: id, parent: parent(sampled: false, remote: false), operationName: ""))
    }

    func testParentBasedRatioThroughTheTracer() throws {
        let recorder = InMemorySpanProcessor()
        let tracer = TelemetryTracer(sampler: ParentBasedSampler(root: TraceIDRatioSampler(ratio: 0.25)), processor: recorder)
        for _ in 0..<2_000 {
            tracer.withSpan("root", context: .topLevel) { _ in tracer.withSpan("child") { _ in } }
        }
        let spans = recorder.finishedSpans
        let roots = spans.filter { $0.name == "root" }
        let children = spans.filter { $0.name == "child" }
        XCTAssertTrue((300...700).contains(roots.count), "\(roots.count) of 2000 roots sampled at 0.25")
        XCTAssertEqual(children.count, roots.count, "a child is sampled exactly when its root is")
        XCTAssertEqual(Set(children.map(\.traceID)), Set(roots.map(\.traceID)))
    }

    func testSamplerFromEnvironment() {
        func describe(_ env: [String: String]) -> String { Samplers.fromEnvironment(env).sampler.description }
        XCTAssertEqual(describe([:]), "ParentBased{root:AlwaysOn}")
        XCTAssertEqual(describe(["OTEL_TRACES_SAMPLER": "always_on"]), "AlwaysOn")
        XCTAssertEqual(describe(["OTEL_TRACES_SAMPLER": "always_off"]), "AlwaysOff")
        XCTAssertEqual(describe(["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"]), "TraceIdRatioBased{0.1}")
        XCTAssertEqual(describe(["OTEL_TRACES_SAMPLER": "traceidratio"]), "TraceIdRatioBased{1.0}")
        XCTAssertEqual(describe(["OTEL_TRACES_SAMPLER": "parentbased_always_on"]), "ParentBased{root:AlwaysOn}")
        XCTAssertEqual(describe(["OTEL_TRACES_SAMPLER": "parentbased_always_off"]), "ParentBased{root:AlwaysOff}")
        XCTAssertEqual(
            describe(["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"]),
            "ParentBased{root:TraceIdRatioBased{0.25}}")
        let bad = Samplers.fromEnvironment(["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"])
        XCTAssertEqual(bad.sampler.description, "TraceIdRatioBased{1.0}")
        XCTAssertEqual(bad.warnings.count, 1)
        let unknown = Samplers.fromEnvironment(["OTEL_TRACES_SAMPLER": "jaeger_remote"])
        XCTAssertEqual(unknown.sampler.description, "ParentBased{root:AlwaysOn}")
        XCTAssertTrue(unknown.warnings.first?.contains("jaeger_remote") ?? false)
    }
}
