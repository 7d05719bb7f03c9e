// The pure parts of the load generator: arrival timelines, key samplers, templates, kind weights.

import Foundation
import LabKit
import XCTest

@testable import LabControl

final class ArrivalScheduleTests: XCTestCase {
    private func offsets(_ profile: RateProfile, _ duration: Duration) -> [Double] {
        var schedule = ArrivalSchedule(profile: profile, duration: duration)
        var result: [Double] = []
        while let offset = schedule.next() { result.append(offset.seconds) }
        return result
    }

    func testConstantRateSchedulesOneRequestPerIntervalFromTheStart() {
        let times = offsets(.constant(100), .seconds(3))
        XCTAssertEqual(times.count, 300)
        for (i, t) in times.enumerated() {
            XCTAssertEqual(t, Double(i) / 100, accuracy: 1e-9, "request \(i)")
        }
    }

    func testFractionalRateDoesNotDrift() {
        // 3 rps over 10 s: 30 requests, the last at 29/3 s, never accumulating rounding error.
        let times = offsets(.constant(3), .seconds(10))
        XCTAssertEqual(times.count, 30)
        XCTAssertEqual(times.last!, 29.0 / 3, accuracy: 1e-9)
    }

    func testLinearRampFollowsTheIntegralOfTheRate() {
        // 0 → 100 rps over 10 s: Λ(t) = 5t², so 500 requests, request k at √(k/5).
        let times = offsets(.ramp(from: 0, to: 100), .seconds(10))
        XCTAssertEqual(times.count, 500)
        for k in [1, 20, 125, 499] {
            XCTAssertEqual(times[k], (Double(k) / 5).squareRoot(), accuracy: 1e-9, "request \(k)")
        }
        // Gaps shrink as the rate rises.
        XCTAssertGreaterThan(times[2] - times[1], times[499] - times[498])
    }

    func testDownRampEndsAtTheLowerRate() {
        // 100 → 20 rps over 4 s: (100+20)/2·4 = 240 requests, the last gap about 1/20 s.
        let times = offsets(.ramp(from: 100, to: 20), .seconds(4))
        XCTAssertEqual(times.count, 240)
        XCTAssertLessThan(times.last!, 4)
        XCTAssertEqual(times[239] - times[238], 1.0 / 20, accuracy: 0.01)
        XCTAssertEqual(times[1] - times[0], 1.0 / 100, accuracy: 0.001)
    }

    func testStepsSplitThePhaseEvenly() {
        // 10 then 50 rps, 2 s each: 20 + 100 requests; the first request of the second step at 2 s.
        let times = offsets(.steps([10, 50]), .seconds(4))
        XCTAssertEqual(times.count, 120)
        XCTAssertEqual(times[19], 1.9, accuracy: 1e-9)
        XCTAssertEqual(times[20], 2.0, accuracy: 1e-9)
        XCTAssertEqual(times[21], 2.02, accuracy: 1e-9)
        XCTAssertEqual(times.filter { $0 >= 2 }.count, 100)
    }

    func testZeroRateSendsNothing() {
        XCTAssertEqual(offsets(.constant(0), .seconds(5)).count, 0)
        XCTAssertEqual(offsets(.steps([0, 10]), .seconds(2)).first!, 1.0, accuracy: 1e-9)
    }
}

final class KeySamplerTests: XCTestCase {
    func testZipfHeadMatchesTheory() {
        let n = 1_000
        let s = 1.1
        let samples = 100_000
        let sampler = KeySampler(.zipf(count: n, exponent: s))
        var rng = SeededRandomNumberGenerator(seed: 42)
        var counts = [Int](repeating: 0, count: n + 1)
        for _ in 0..<samples {
            let k = sampler.sample(using: &rng)
            XCTAssert((1...n).contains(k), "key \(k) out of range")
            counts[min(max(k, 0), n)] += 1
        }
        // P(k) = k^-s / H(n, s), H the generalized harmonic number.
        let harmonic = (1...n).reduce(0.0) { $0 + pow(Double($1), -s) }
        for k in [1, 2, 3, 5, 10] {
            let expected = Double(samples) * pow(Double(k), -s) / harmonic
            XCTAssertEqual(Double(counts[k]), expected, accuracy: expected * 0.10, "key \(k)")
        }
        // The head is decreasing: each of the first keys is more frequent than the next.
        for k in 1..<6 { XCTAssertGreaterThan(counts[k], counts[k + 1], "key \(k) vs \(k + 1)") }
        // The tail is reached: the last 500 keys together get roughly their theoretical share.
        let tailExpected = Double(samples) * (501...n).reduce(0.0) { $0 + pow(Double($1), -s) } / harmonic
        let tail = counts[501...].reduce(0, +)
        XCTAssertEqual(Double(tail), tailExpected, accuracy: tailExpected * 0.15)
    }

    func testZipfWithExponentOneAndTinyRanges() {
        var rng = SeededRandomNumberGenerator(seed: 7)
        let one = KeySampler(.zipf(count: 1, exponent: 1.5))
        XCTAssert((0..<1_000).allSatisfy { _ in one.sample(using: &rng) == 1 })

        // s = 1 exactly (the formulas' removable singularity), n = 2: P(1) = 2/3.
        let two = KeySampler(.zipf(count: 2, exponent: 1))
        let ones = (0..<30_000).filter { _ in two.sample(using: &rng) == 1 }.count
        XCTAssertEqual(Double(ones) / 30_000, 2.0 / 3, accuracy: 0.02)
    }

    func testUniformCoversTheWholeRangeEvenly() {
        let n = 100
        let sampler = KeySampler(.uniform(count: n))
        var rng = SeededRandomNumberGenerator(seed: 1)
        var counts = [Int](repeating: 0, count: n + 2)
        for _ in 0..<100_000 {
            let k = sampler.sample(using: &rng)
            counts[min(max(k, 0), n + 1)] += 1
        }
        XCTAssertEqual(counts[0], 0)
        XCTAssertEqual(counts[n + 1], 0)
        for k in 1...n { XCTAssertEqual(Double(counts[k]), 1_000, accuracy: 300, "key \(k)") }
    }

    func testSameSeedSameSequence() {
        let sampler = KeySampler(.zipf(count: 1_000, exponent: 0.8))
        var a = SeededRandomNumberGenerator(seed: 99)
        var b = SeededRandomNumberGenerator(seed: 99)
        XCTAssertEqual((0..<100).map { _ in sampler.sample(using: &a) }, (0..<100).map { _ in sampler.sample(using: &b) })
    }
}

final class RequestTemplateTests: XCTestCase {
    func testPlaceholdersAreFilled() {
        XCTAssertEqual(RequestTemplate("/items/{id}/x{id}").render(id: 42), "/items/42/x42")
        XCTAssertEqual(RequestTemplate("no placeholders {here}").render(id: 1), "no placeholders {here}")
        XCTAssertEqual(RequestTemplate("{").render(id: 1), "{")
        XCTAssertEqual(RequestTemplate("").render(id: 1), "")
    }

    func testEachUUIDIsFresh() {
        let template = RequestTemplate("key-{uuid}")
        let keys = Set((0..<100).map { _ in template.render(id: 0) })
        XCTAssertEqual(keys.count, 100)
        let one = keys.first!
        XCTAssertTrue(one.hasPrefix("key-"))
        XCTAssertNotNil(UUID(uuidString: String(one.dropFirst(4))))
        XCTAssertEqual(one, one.lowercased())
    }

    func testWeightedPickerFollowsWeights() {
        let picker = KindPicker(weights: [3, 1, 0.5])
        var rng = SeededRandomNumberGenerator(seed: 3)
        var counts = [0, 0, 0]
        for _ in 0..<45_000 { counts[picker.pick(using: &rng)] += 1 }
        XCTAssertEqual(counts[0], 30_000, accuracy: 1_000)
        XCTAssertEqual(counts[1], 10_000, accuracy: 700)
        XCTAssertEqual(counts[2], 5_000, accuracy: 500)
    }
}

final class LoadPlanValidationTests: XCTestCase {
    private let kind = RequestKind(name: "get", path: "/fast")

    private func problem(_ plan: LoadPlan) -> LoadPlanError? {
        do {
            try plan.validate()
            return nil
        } catch { return error as? LoadPlanError }
    }

    func testBadFieldsAreNamed() {
        let phase = LoadPhase(name: "steady", duration: .seconds(1), arrivals: .openLoop(.constant(10)), requests: [kind])
        XCTAssertNil(problem(LoadPlan(target: "http://127.0.0.1:1", phases: [phase])))
        XCTAssertEqual(problem(LoadPlan(target: "127.0.0.1:1", phases: [phase]))?.field, "target")
        XCTAssertEqual(problem(LoadPlan(target: "http://x", phases: []))?.field, "phases")
        XCTAssertEqual(problem(LoadPlan(target: "http://x", phases: [phase], maxInFlight: 0))?.field, "maxInFlight")

        var bad = phase
        bad.arrivals = .openLoop(.constant(-1))
        XCTAssertEqual(problem(LoadPlan(target: "http://x", phases: [bad]))?.field, "phases[0] (steady).rate")
        bad.arrivals = .closedLoop(users: 0)
        XCTAssertEqual(problem(LoadPlan(target: "http://x", phases: [bad]))?.field, "phases[0] (steady).users")
        bad = phase
        bad.requests = [RequestKind(name: "z", path: "/k/{id}", keys: .zipf(count: 10, exponent: 0))]
        XCTAssertEqual(problem(LoadPlan(target: "http://x", phases: [bad]))?.field, "phases[0] (steady).requests[0] (z).keys")
        bad.requests = [RequestKind(name: "p", path: "items")]
        let error = problem(LoadPlan(target: "http://x", phases: [bad]))
        XCTAssertEqual(error?.field, "phases[0] (steady).requests[0] (p).path")
        XCTAssertEqual(error?.description, "load plan: phases[0] (steady).requests[0] (p).path: must start with /, got \"items\"")
        XCTAssertThrowsError(try LoadGenerator(plan: LoadPlan(target: "http://x", phases: [bad])))
    }
}

final class ProgressLineTests: XCTestCase {
    func testLineShowsPhaseBarTimeLeftRateErrorsAndP99() {
        var totals = OutcomeCounts()
        totals[.status2xx] = 100
        let snapshot = LoadSnapshot(
            phaseIndex: 1, phaseCount: 4, phaseName: "steady",
            phaseElapsed: .seconds(18), phaseDuration: .seconds(30),
            responsesPerSecond: 99.84, sentPerSecond: 100, errorRate: 0, p99: .milliseconds(12),
            inFlight: 1, totals: totals, draining: false)
        XCTAssertEqual(ProgressLine.format(snapshot), "phase 2/4 steady ▕██████    ▏ 12s left  rps 99.8  err 0.0%  p99 12ms")

        var draining = snapshot
        draining.draining = true
        draining.errorRate = 0.125
        draining.p99 = nil
        XCTAssertEqual(ProgressLine.format(draining, barWidth: 4), "phase 2/4 steady ▕██▍ ▏ draining  rps 99.8  err 12.5%  p99 –")
    }

    func testBarAndDurations() {
        XCTAssertEqual(ProgressLine.bar(0, width: 3), "   ")
        XCTAssertEqual(ProgressLine.bar(1, width: 3), "███")
        XCTAssertEqual(ProgressLine.bar(1.7, width: 2), "██")
        XCTAssertEqual(ProgressLine.bar(1.0 / 8, width: 1), "▏")
        XCTAssertEqual(ProgressLine.bar(0.9 / 8, width: 1), " ")
        XCTAssertEqual(ProgressLine.duration(.microseconds(850)), "850µs")
        XCTAssertEqual(ProgressLine.duration(.microseconds(1_500)), "1.5ms")
        XCTAssertEqual(ProgressLine.duration(.milliseconds(250)), "250ms")
        XCTAssertEqual(ProgressLine.duration(.milliseconds(2_340)), "2.3s")
    }
}
