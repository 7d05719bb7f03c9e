import XCTest

@testable import LabKit

final class AdaptiveConcurrencyLimiterTests: XCTestCase {
    func testAIMDRule() {
        let aimd = AIMDLimit(initialLimit: 10, minLimit: 2, maxLimit: 12, backoffRatio: 0.5, timeout: .seconds(1))
        let fast = ConcurrencySample(rtt: .milliseconds(10), inFlight: 10, didDrop: false)
        XCTAssertEqual(aimd.update(limit: 10, sample: fast), 11, "additive increase")
        XCTAssertEqual(aimd.update(limit: 12, sample: fast), 12, "capped at maxLimit")
        XCTAssertEqual(
            aimd.update(limit: 10, sample: ConcurrencySample(rtt: .milliseconds(10), inFlight: 4, didDrop: false)), 10,
            "not growing while the limit is not in use")
        XCTAssertEqual(
            aimd.update(limit: 10, sample: ConcurrencySample(rtt: .milliseconds(10), inFlight: 10, didDrop: true)), 5,
            "multiplicative decrease on a drop")
        XCTAssertEqual(
            aimd.update(limit: 10, sample: ConcurrencySample(rtt: .milliseconds(1001), inFlight: 10, didDrop: false)), 5,
            "too slow counts as a drop")
        XCTAssertEqual(
            aimd.update(limit: 3, sample: ConcurrencySample(rtt: .zero, inFlight: 3, didDrop: true)), 2, "floored at minLimit")
    }

    func testLimiterRejectsAtTheLimitAndAdaptsFromSamples() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let limiter = AdaptiveConcurrencyLimiter(
            name: "svc",
            algorithm: .aimd(AIMDLimit(initialLimit: 4, minLimit: 1, maxLimit: 100, backoffRatio: 0.5, timeout: .seconds(1))),
            clock: clock, metricsFactory: metrics
        )
        var permits = (1...4).compactMap { _ in limiter.tryAcquire() }
        XCTAssertEqual(permits.count, 4)
        XCTAssertNil(limiter.tryAcquire(), "the 5th concurrent request is shed")
        XCTAssertEqual(metrics.counter("adaptive_concurrency_requests_total", ["name": "svc", "outcome": "rejected"]), 1)
        XCTAssertEqual(metrics.value("adaptive_concurrency_in_flight", ["name": "svc"]), 4)

        clock.advance(by: .milliseconds(50))
        limiter.onSuccess(permits.removeLast()) // started with 4 in flight, limit 4: in use, so +1
        XCTAssertEqual(limiter.limit, 5)
        XCTAssertEqual(metrics.value("adaptive_concurrency_limit", ["name": "svc"]), 5)
        limiter.onDropped(permits.removeLast())
        XCTAssertEqual(limiter.limit, 2, "5 * 0.5 rounded down")
        XCTAssertEqual(limiter.inFlight, 2)
        XCTAssertNil(limiter.tryAcquire(), "2 in flight at a limit of 2")
        limiter.onIgnored(permits.removeLast())
        XCTAssertEqual(limiter.limit, 2, "ignored outcomes are not samples")
        XCTAssertNotNil(limiter.tryAcquire())
    }

    func testSlowRequestsShrinkTheLimit() async throws {
        let clock = ManualClock()
        let limiter = AdaptiveConcurrencyLimiter(
            name: "slow", algorithm: .aimd(AIMDLimit(initialLimit: 10, backoffRatio: 0.9, timeout: .seconds(1))),
            clock: clock, metricsFactory: ResilienceTestMetrics()
        )
        let permit = try XCTUnwrap(limiter.tryAcquire())
        clock.advance(by: .seconds(2))
        limiter.onSuccess(permit)
        XCTAssertEqual(limiter.limit, 9)
    }

    func testExecuteShedsAndClassifiesErrors() async throws {
        let clock = ManualClock()
        let limiter = AdaptiveConcurrencyLimiter(
            name: "x", algorithm: .aimd(AIMDLimit(initialLimit: 1, minLimit: 1, maxLimit: 10, backoffRatio: 0.5)),
            clock: clock, metricsFactory: ResilienceTestMetrics()
        )
        let busy = Task { try await limiter.execute { try await clock.sleep(for: .seconds(1)) } }
        try await awaitSleepers(clock)
        do {
            try await limiter.execute {}
            XCTFail("expected shedding")
        } catch let error as ConcurrencyLimitExceededError {
            XCTAssertEqual(error.limit, 1)
        }
        clock.advance(by: .seconds(1))
        try await boundedValue(busy)
        XCTAssertEqual(limiter.limit, 2, "a success at full use grows the limit")
        do { try await limiter.execute { throw DeadlineExceededError(timeout: .seconds(1)) } } catch {}
        XCTAssertEqual(limiter.limit, 1, "a timeout is a drop")
        do { try await limiter.execute { throw ResilienceTestError() } } catch {}
        XCTAssertEqual(limiter.limit, 1, "other errors are ignored")
        XCTAssertEqual(limiter.inFlight, 0)
    }

    func testVegasGrowsWithoutQueueingAndShrinksWhenLatencyRises() {
        let vegas = VegasLimit(initialLimit: 100, minLimit: 1, maxLimit: 1000)
        // log10(100) = 2: alpha = 6, beta = 12.
        let noQueue = ConcurrencySample(rtt: .milliseconds(10), inFlight: 100, didDrop: false)
        XCTAssertEqual(vegas.update(limit: 100, rttNoLoad: .milliseconds(10), sample: noQueue), 112, "queue 0 <= 2: + beta")
        let smallQueue = ConcurrencySample(rtt: .milliseconds(10) * 100 / 96, inFlight: 100, didDrop: false) // queue 4
        XCTAssertEqual(
            vegas.update(limit: 100, rttNoLoad: .milliseconds(10), sample: smallQueue), 102, "queue 4 < alpha: + log10")
        let bigQueue = ConcurrencySample(rtt: .milliseconds(20), inFlight: 100, didDrop: false) // queue 50
        XCTAssertEqual(vegas.update(limit: 100, rttNoLoad: .milliseconds(10), sample: bigQueue), 98, "queue 50 > beta: - log10")
        let steady = ConcurrencySample(rtt: .milliseconds(10) * 100 / 92, inFlight: 100, didDrop: false) // queue 8
        XCTAssertEqual(
            vegas.update(limit: 100, rttNoLoad: .milliseconds(10), sample: steady), 100, "alpha <= queue <= beta: hold")
        XCTAssertEqual(
            vegas.update(
                limit: 100, rttNoLoad: .milliseconds(10),
                sample: ConcurrencySample(rtt: .milliseconds(10), inFlight: 100, didDrop: true)), 98)
        XCTAssertEqual(
            vegas.update(
                limit: 100, rttNoLoad: .milliseconds(10),
                sample: ConcurrencySample(rtt: .milliseconds(10), inFlight: 30, didDrop: false)), 100, "idle: hold")
    }

    func testVegasSmoothingMovesTheLimitOnlyPartOfTheWay() {
        let vegas = VegasLimit(initialLimit: 100, minLimit: 1, maxLimit: 1000, smoothing: 0.25)
        let noQueue = ConcurrencySample(rtt: .milliseconds(10), inFlight: 100, didDrop: false)
        XCTAssertEqual(vegas.update(limit: 100, rttNoLoad: .milliseconds(10), sample: noQueue), 103, "a quarter of + beta (12)")
        let bigQueue = ConcurrencySample(rtt: .milliseconds(20), inFlight: 100, didDrop: false)
        XCTAssertEqual(vegas.update(limit: 100, rttNoLoad: .milliseconds(10), sample: bigQueue), 99.5, "a quarter of - log10 (2)")
    }

    func testVegasLimiterLearnsTheNoLoadLatency() {
        let clock = ManualClock()
        let limiter = AdaptiveConcurrencyLimiter(
            name: "v", algorithm: .vegas(VegasLimit(initialLimit: 10)), clock: clock, metricsFactory: ResilienceTestMetrics())
        func run(taking rtt: Duration, concurrently count: Int) {
            let permits = (0..<count).compactMap { _ in limiter.tryAcquire() }
            clock.advance(by: rtt)
            permits.forEach(limiter.onSuccess)
        }
        // Fast, fully used: grows.
        for _ in 1...5 { run(taking: .milliseconds(10), concurrently: limiter.limit) }
        let grown = limiter.limit
        XCTAssertGreaterThan(grown, 10)
        // Latency triples at the same concurrency (a queue builds): shrinks.
        for _ in 1...5 { run(taking: .milliseconds(30), concurrently: limiter.limit) }
        XCTAssertLessThan(limiter.limit, grown)
    }

    func testVegasLimiterShrinksOnADropEvenBeforeAnyLatencySample() throws {
        let limiter = AdaptiveConcurrencyLimiter(
            name: "v", algorithm: .vegas(VegasLimit(initialLimit: 100)), clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        limiter.onDropped(try XCTUnwrap(limiter.tryAcquire()))
        XCTAssertEqual(limiter.limit, 98, "100 - log10(100)")
    }
}
