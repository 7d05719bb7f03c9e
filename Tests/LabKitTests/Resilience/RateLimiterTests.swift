import XCTest

@testable import LabKit

final class RateLimiterTests: XCTestCase {
    private typealias Instant = ManualClock.Instant
    private func at(_ milliseconds: Int) -> Instant { Instant(offset: .milliseconds(milliseconds)) }

    // MARK: Token bucket

    func testTokenBucketAdmitsTheBurstThenTheRate() {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let bucket = TokenBucketRateLimiter(
            name: "api", capacity: 5, permitsPerPeriod: 10, period: .seconds(1), clock: clock, metricsFactory: metrics)
        // A full bucket: exactly 5 at once.
        XCTAssertEqual((1...8).filter { _ in bucket.tryAcquire(at: at(0)) }.count, 5)
        // One token every 100 ms.
        XCTAssertFalse(bucket.tryAcquire(at: at(99)))
        XCTAssertTrue(bucket.tryAcquire(at: at(100)))
        XCTAssertFalse(bucket.tryAcquire(at: at(100)))
        // The partial interval is kept: 250 ms after 100 ms earns 2 tokens, and the next lands at 400.
        XCTAssertEqual((1...5).filter { _ in bucket.tryAcquire(at: at(350)) }.count, 2)
        XCTAssertFalse(bucket.tryAcquire(at: at(399)))
        XCTAssertTrue(bucket.tryAcquire(at: at(400)))
        // A long quiet spell refills only up to the capacity.
        XCTAssertEqual(bucket.availableTokens(at: at(60_000)), 5)
        XCTAssertEqual(
            metrics.counter("rate_limiter_requests_total", ["name": "api", "algorithm": "token_bucket", "outcome": "admitted"]), 9
        )
        XCTAssertEqual(
            metrics.counter("rate_limiter_requests_total", ["name": "api", "algorithm": "token_bucket", "outcome": "rejected"]), 9
        )
    }

    func testTokenBucketSustainedRateOverTenSeconds() {
        let bucket = TokenBucketRateLimiter(
            name: "r", capacity: 1, permitsPerPeriod: 50, period: .seconds(1), clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        // Offer a request every millisecond for 10 s: 1 (the starting token) + 50/s * 10 s.
        let admitted = (0..<10_000).filter { bucket.tryAcquire(at: at($0)) }.count
        XCTAssertEqual(admitted, 1 + 499) // t = 0 (full), then every 20 ms up to 9980 ms
    }

    func testTokenBucketUsesItsClock() {
        let clock = ManualClock()
        let bucket = TokenBucketRateLimiter(
            name: "c", capacity: 1, permitsPerPeriod: 1, period: .seconds(1), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        XCTAssertTrue(bucket.tryAcquire())
        XCTAssertFalse(bucket.tryAcquire())
        clock.advance(by: .seconds(1))
        XCTAssertTrue(bucket.tryAcquire())
    }

    // MARK: GCRA

    /// GCRA as its equivalent "continuous-state leaky bucket" (ITU-T I.371): bucket content `x` drains
    /// at one unit per unit of time; a cell conforms if the content after draining is <= limit `tau`,
    /// and then adds increment `t`. Written independently of the virtual-scheduling implementation.
    private struct LeakyBucketReference {
        let increment: Int128 // T, attoseconds
        let limit: Int128 // tau, attoseconds
        var content: Int128 = 0
        var lastConformingTime: Int128 = 0

        mutating func conforms(at time: Int128) -> Bool {
            let drained = max(0, content - (time - lastConformingTime))
            guard drained <= limit else { return false }
            content = drained + increment
            lastConformingTime = time
            return true
        }
    }

    func testGCRAMatchesTheLeakyBucketDefinitionOnRandomArrivals() {
        var rng = SeededRandomNumberGenerator(seed: 2024)
        for (rate, burst) in [(10, 1), (10, 3), (7, 5), (1000, 20)] {
            let gcra = GCRARateLimiter(
                name: "g", permitsPerPeriod: rate, period: .seconds(1), burst: burst, clock: ManualClock(),
                metricsFactory: ResilienceTestMetrics())
            let interval = Duration.seconds(1) / rate
            var reference = LeakyBucketReference(increment: interval.attoseconds, limit: (interval * (burst - 1)).attoseconds)
            var now = Duration.zero
            var admitted = 0
            for _ in 0..<5000 {
                // Gaps from 0 to 2 emission intervals: some bursts, some quiet.
                now += uniformRandomDuration(in: .zero...(interval * 2), using: &rng)
                let decision = gcra.tryAcquire(at: Instant(offset: now))
                XCTAssertEqual(decision, reference.conforms(at: now.attoseconds), "rate \(rate) burst \(burst) at \(now)")
                if decision { admitted += 1 }
            }
            XCTAssertGreaterThan(admitted, 0)
            XCTAssertLessThan(admitted, 5000)
        }
    }

    func testGCRABurstAndRetryAfter() {
        let gcra = GCRARateLimiter(
            name: "g", permitsPerPeriod: 10, period: .seconds(1), burst: 3, clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        XCTAssertEqual((1...5).filter { _ in gcra.tryAcquire(at: at(0)) }.count, 3, "burst of 3 at once")
        // TAT is now 300 ms; tau = 200 ms: the next conforms at 100 ms.
        XCTAssertEqual(gcra.retryAfter(at: at(40)), .milliseconds(60))
        XCTAssertFalse(gcra.tryAcquire(at: at(99)))
        XCTAssertTrue(gcra.tryAcquire(at: at(100)))
        XCTAssertEqual(gcra.retryAfter(at: at(100)), .milliseconds(100))
    }

    func testTokenBucketAndGCRADecideIdentically() {
        // Same parameters, same arrivals: the two formulations are the same algorithm.
        var rng = SeededRandomNumberGenerator(seed: 77)
        let bucket = TokenBucketRateLimiter(
            name: "t", capacity: 4, permitsPerPeriod: 20, period: .seconds(1), clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        let gcra = GCRARateLimiter(
            name: "g", permitsPerPeriod: 20, period: .seconds(1), burst: 4, clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        var now = Duration.zero
        for _ in 0..<5000 {
            now += uniformRandomDuration(in: .zero...(.milliseconds(100)), using: &rng)
            let instant = Instant(offset: now)
            XCTAssertEqual(bucket.tryAcquire(at: instant), gcra.tryAcquire(at: instant), "at \(now)")
        }
    }

    // MARK: Sliding window

    func testSlidingLogNeverAdmitsMoreThanTheLimitInAnyWindow() {
        var rng = SeededRandomNumberGenerator(seed: 3)
        let limiter = SlidingWindowRateLimiter(
            name: "s", limit: 5, window: .seconds(1), algorithm: .log, clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        var admittedAt: [Duration] = []
        var now = Duration.zero
        for _ in 0..<3000 {
            now += uniformRandomDuration(in: .zero...(.milliseconds(150)), using: &rng)
            if limiter.tryAcquire(at: Instant(offset: now)) { admittedAt.append(now) }
        }
        // Any 6 consecutive admissions span at least a full window.
        for index in 5..<admittedAt.count {
            XCTAssertGreaterThanOrEqual(admittedAt[index] - admittedAt[index - 5], .seconds(1))
        }
        XCTAssertGreaterThan(admittedAt.count, 1000)
    }

    func testSlidingLogAdmitsAgainExactlyAWindowLater() {
        let limiter = SlidingWindowRateLimiter(
            name: "s", limit: 3, window: .seconds(1), algorithm: .log, clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        XCTAssertTrue(limiter.tryAcquire(at: at(0)))
        XCTAssertTrue(limiter.tryAcquire(at: at(400)))
        XCTAssertTrue(limiter.tryAcquire(at: at(800)))
        XCTAssertFalse(limiter.tryAcquire(at: at(999)))
        XCTAssertTrue(limiter.tryAcquire(at: at(1000)), "the admission at 0 left the window (now - 1 s, now]")
        XCTAssertFalse(limiter.tryAcquire(at: at(1399)))
        XCTAssertTrue(limiter.tryAcquire(at: at(1400)))
    }

    func testSlidingWindowCounterWeightsThePreviousWindow() {
        let metrics = ResilienceTestMetrics()
        let limiter = SlidingWindowRateLimiter(
            name: "c", limit: 10, window: .seconds(1), algorithm: .approximateCounter, clock: ManualClock(),
            metricsFactory: metrics)
        XCTAssertEqual((1...15).filter { _ in limiter.tryAcquire(at: at(500)) }.count, 10)
        // At 1.25 s the previous window's 10 count for 75%: 7.5, so 2 more fit (9.5 <= 10), not 3.
        XCTAssertEqual((1...5).filter { _ in limiter.tryAcquire(at: at(1250)) }.count, 2)
        // At 1.8 s: 10 * 0.2 + 2 = 4, so 6 more fit.
        XCTAssertEqual((1...10).filter { _ in limiter.tryAcquire(at: at(1800)) }.count, 6)
        // Two windows later the old counts are gone entirely.
        XCTAssertEqual((1...15).filter { _ in limiter.tryAcquire(at: at(3100)) }.count, 10)
        XCTAssertEqual(
            metrics.counter(
                "rate_limiter_requests_total", ["name": "c", "algorithm": "sliding_window_counter", "outcome": "admitted"]), 28)
    }
}
