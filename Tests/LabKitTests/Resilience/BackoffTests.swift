import XCTest

@testable import LabKit

final class BackoffTests: XCTestCase {
    func testWithoutJitterDelaysAreExactAndCapped() {
        let backoff = Backoff(base: .milliseconds(100), multiplier: 2, cap: .seconds(1), jitter: .none)
        var rng = SeededRandomNumberGenerator(seed: 1)
        XCTAssertEqual(
            backoff.delays(count: 7, using: &rng),
            [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1),
                .seconds(1),
            ]
        )
    }

    func testNonIntegerMultiplier() {
        let backoff = Backoff(base: .milliseconds(100), multiplier: 1.5, cap: .seconds(60), jitter: .none)
        XCTAssertEqual(backoff.exponentialDelay(retry: 1), .milliseconds(100))
        XCTAssertEqual(backoff.exponentialDelay(retry: 2), .milliseconds(150))
        XCTAssertEqual(backoff.exponentialDelay(retry: 3), .milliseconds(225))
    }

    func testHugeRetryNumbersStayAtTheCap() {
        let backoff = Backoff(base: .milliseconds(1), multiplier: 10, cap: .seconds(30), jitter: .none)
        XCTAssertEqual(backoff.exponentialDelay(retry: 10_000), .seconds(30))
    }

    func testFullJitterIsWithinZeroAndTheExponentialDelay() {
        let backoff = Backoff(base: .milliseconds(100), multiplier: 2, cap: .seconds(2), jitter: .full)
        var rng = SeededRandomNumberGenerator(seed: 42)
        var sums = [Duration](repeating: .zero, count: 6)
        let runs = 2000
        for _ in 0..<runs {
            for (index, delay) in backoff.delays(count: 6, using: &rng).enumerated() {
                let ceiling = backoff.exponentialDelay(retry: index + 1)
                XCTAssertTrue(delay >= .zero && delay <= ceiling, "retry \(index + 1): \(delay) outside 0...\(ceiling)")
                sums[index] += delay
            }
        }
        // Uniform on [0, temp]: the mean is temp/2 (checked loosely; this is a sanity check on the
        // distribution, not a statistics test).
        for (index, sum) in sums.enumerated() {
            let mean = sum / runs
            let expected = backoff.exponentialDelay(retry: index + 1) / 2
            XCTAssertEqual(mean / expected, 1, accuracy: 0.1, "retry \(index + 1)")
        }
    }

    func testEqualJitterKeepsAtLeastHalfTheDelay() {
        let backoff = Backoff(base: .milliseconds(100), multiplier: 2, cap: .seconds(1), jitter: .equal)
        var rng = SeededRandomNumberGenerator(seed: 7)
        var sawSpread = false
        for _ in 0..<1000 {
            for (index, delay) in backoff.delays(count: 6, using: &rng).enumerated() {
                let temp = backoff.exponentialDelay(retry: index + 1)
                XCTAssertTrue(delay >= temp / 2 && delay <= temp, "retry \(index + 1): \(delay) outside \(temp / 2)...\(temp)")
                if delay != temp / 2 && delay != temp { sawSpread = true }
            }
        }
        XCTAssertTrue(sawSpread)
    }

    func testDecorrelatedJitterFollowsThePreviousDelay() {
        let base = Duration.milliseconds(100)
        let cap = Duration.seconds(3)
        let backoff = Backoff(base: base, multiplier: 2, cap: cap, jitter: .decorrelated)
        var rng = SeededRandomNumberGenerator(seed: 99)
        for _ in 0..<1000 {
            let delays = backoff.delays(count: 8, using: &rng)
            var previous = base
            for delay in delays {
                // sleep = min(cap, random(base, previous * 3))
                XCTAssertTrue(delay >= base && delay <= min(cap, previous * 3), "\(delay) with previous \(previous)")
                previous = delay
            }
        }
    }

    func testSameSeedSameDelays() {
        let backoff = Backoff(jitter: .full)
        var first = SeededRandomNumberGenerator(seed: 5)
        var second = SeededRandomNumberGenerator(seed: 5)
        var other = SeededRandomNumberGenerator(seed: 6)
        let a = backoff.delays(count: 5, using: &first)
        XCTAssertEqual(a, backoff.delays(count: 5, using: &second))
        XCTAssertNotEqual(a, backoff.delays(count: 5, using: &other))
    }
}
