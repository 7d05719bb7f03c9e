import XCTest

@testable import LabKit

final class HedgingTests: XCTestCase {
    func testFastFirstAttemptSendsNoHedge() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(hedgeDelay: .milliseconds(100), maxAttempts: 3), clock: clock,
            metricsFactory: metrics)
        let value = try await hedger.execute { attempt in attempt }
        XCTAssertEqual(value, 1)
        XCTAssertEqual(metrics.counter("hedging_attempts_total", ["name": "h", "attempt_kind": "hedge"]), 0)
        XCTAssertEqual(metrics.counter("hedging_wins_total", ["name": "h", "attempt_kind": "first"]), 1)
    }

    func testSendsTheHedgeOnlyAfterTheDelayAndCancelsTheLoser() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(hedgeDelay: .milliseconds(100), maxAttempts: 2), clock: clock,
            metricsFactory: metrics)
        let started = ResilienceBox<[Int]>([])
        let cancelled = ResilienceBox<[Int]>([])
        let call = Task {
            try await hedger.execute { attempt -> String in
                started.update { $0.append(attempt) }
                do {
                    // Attempt 1 is stuck for 10 s; the hedge answers in 20 ms.
                    try await clock.sleep(for: attempt == 1 ? .seconds(10) : .milliseconds(20))
                } catch {
                    cancelled.update { $0.append(attempt) }
                    throw error
                }
                return "answer from \(attempt)"
            }
        }
        try await awaitSleepers(clock, 2) // attempt 1 and the hedge timer
        clock.advance(by: .milliseconds(99))
        XCTAssertEqual(started.value, [1], "no hedge before the delay")
        clock.advance(by: .milliseconds(1))
        try await eventually { started.value == [1, 2] }
        try await awaitSleepers(clock, 2) // attempt 1 still stuck, attempt 2 working
        clock.advance(by: .milliseconds(20))
        let answer = try await boundedValue(call)
        XCTAssertEqual(answer, "answer from 2")
        XCTAssertEqual(cancelled.value, [1], "the loser was cancelled")
        XCTAssertEqual(clock.sleeperCount, 0)
        XCTAssertEqual(metrics.counter("hedging_attempts_total", ["name": "h", "attempt_kind": "first"]), 1)
        XCTAssertEqual(metrics.counter("hedging_attempts_total", ["name": "h", "attempt_kind": "hedge"]), 1)
        XCTAssertEqual(metrics.counter("hedging_wins_total", ["name": "h", "attempt_kind": "hedge"]), 1)
    }

    func testNeverMoreThanMaxAttempts() async throws {
        let clock = ManualClock()
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(hedgeDelay: .milliseconds(10), maxAttempts: 3), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let started = ResilienceBox(0)
        let call = Task {
            try await hedger.execute { attempt -> Int in
                started.update { $0 += 1 }
                try await clock.sleep(for: .seconds(1))
                return attempt
            }
        }
        // Attempts start at 0, 10 and 20 ms; after the third there is no hedge timer any more.
        for expected in 1...3 {
            try await eventually { started.value == expected }
            try await awaitSleepers(clock, expected < 3 ? expected + 1 : expected)
            clock.advance(by: .milliseconds(10))
        }
        clock.advance(by: .milliseconds(500))
        XCTAssertEqual(started.value, 3)
        XCTAssertEqual(clock.sleeperCount, 3, "three attempts in flight, no further timer")
        clock.advance(by: .milliseconds(470)) // t = 1 s: only attempt 1 is done
        let winner = try await boundedValue(call)
        XCTAssertEqual(winner, 1, "the first attempt (started earliest) answers first")
    }

    func testRetryableFailureSendsTheNextAttemptAtOnce() async throws {
        let clock = ManualClock()
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(hedgeDelay: .seconds(5), maxAttempts: 3), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        // No time passes at all: attempt 1 fails, attempt 2 is sent without waiting the 5 s delay.
        let value = try await hedger.execute { attempt -> Int in
            if attempt == 1 { throw ResilienceTestError(code: 503) }
            return attempt
        }
        XCTAssertEqual(value, 2)
    }

    func testAllAttemptsFailingThrowsTheLastError() async {
        let clock = ManualClock()
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(hedgeDelay: .seconds(5), maxAttempts: 3), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        do {
            _ = try await hedger.execute { attempt -> Int in throw ResilienceTestError(code: attempt) }
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error as? ResilienceTestError, ResilienceTestError(code: 3))
        }
    }

    func testNonRetryableFailureEndsTheCall() async {
        let clock = ManualClock()
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(hedgeDelay: .seconds(5), maxAttempts: 3, isRetryable: { _ in false }),
            clock: clock, metricsFactory: ResilienceTestMetrics()
        )
        let started = ResilienceBox(0)
        do {
            _ = try await hedger.execute { attempt -> Int in
                started.update { $0 += 1 }
                throw ResilienceTestError(code: 400)
            }
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error as? ResilienceTestError, ResilienceTestError(code: 400))
        }
        XCTAssertEqual(started.value, 1)
    }

    func testAFailureRestartsTheHedgeTimer() async throws {
        let clock = ManualClock()
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(hedgeDelay: .milliseconds(100), maxAttempts: 3), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let start = clock.now
        let startedAt = ResilienceBox<[Duration]>([])
        let call = Task {
            try await hedger.execute { attempt -> Int in
                startedAt.update { $0.append(start.duration(to: clock.now)) }
                if attempt == 1 {
                    try await clock.sleep(for: .milliseconds(50))
                    throw ResilienceTestError(code: 503)
                }
                try await clock.sleep(for: .seconds(10))
                return attempt
            }
        }
        try await awaitSleepers(clock, 2) // attempt 1 and the first timer
        clock.advance(by: .milliseconds(50)) // attempt 1 fails: attempt 2 goes out at once
        try await eventually { startedAt.value.count == 2 }
        // Sleeping now: attempt 2, the stale timer (due at 100 ms) and attempt 2's timer (due at 150 ms).
        try await awaitSleepers(clock, 3)
        clock.advance(by: .milliseconds(50))
        try await Task.sleep(for: .milliseconds(20)) // give a wrongly honoured stale timer time to act
        XCTAssertEqual(startedAt.value.count, 2, "the timer from before the failure is stale")
        clock.advance(by: .milliseconds(50))
        try await eventually { startedAt.value.count == 3 }
        XCTAssertEqual(startedAt.value, [.zero, .milliseconds(50), .milliseconds(150)])
        clock.advance(by: .seconds(10))
        let winner = try await boundedValue(call)
        XCTAssertEqual(winner, 2)
    }

    func testLatencyWindowPercentiles() {
        let window = LatencyWindow(capacity: 100, minimumSamples: 10, recomputeEvery: 1)
        for ms in 1...9 { window.record(.milliseconds(ms)) }
        XCTAssertNil(window.percentile(95), "too few samples")
        window.record(.milliseconds(10))
        XCTAssertEqual(window.percentile(50), .milliseconds(5))
        XCTAssertEqual(window.percentile(95), .milliseconds(10))
        XCTAssertEqual(window.percentile(0), .milliseconds(1))
        // Full: the oldest samples make way for new ones.
        for _ in 1...100 { window.record(.milliseconds(200)) }
        XCTAssertEqual(window.count, 100)
        XCTAssertEqual(window.percentile(1), .milliseconds(200))
    }

    func testPercentileDelayUsesTheFallbackUntilTheWindowFillsThenFollowsIt() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let window = LatencyWindow(capacity: 100, minimumSamples: 20, recomputeEvery: 1)
        let policy = HedgingPolicy(delay: .percentile(95, of: window, minimum: .milliseconds(2), fallback: .milliseconds(500)))
        let hedger = Hedger(name: "h", policy: policy, clock: clock, metricsFactory: metrics)
        XCTAssertEqual(policy.hedgeDelay, .milliseconds(500))
        // Twenty first attempts: nineteen take 10 ms, one 40 ms (none is hedged: the delay is 500 ms).
        for index in 1...20 {
            let call = Task { try await hedger.execute { _ in try await clock.sleep(for: .milliseconds(index == 20 ? 40 : 10)) } }
            try await awaitSleepers(clock, 2)
            clock.advance(by: .milliseconds(index == 20 ? 40 : 10))
            try await boundedValue(call)
        }
        XCTAssertEqual(window.count, 20, "every first attempt is recorded")
        XCTAssertEqual(policy.hedgeDelay, .milliseconds(10), "p95 of 19 x 10 ms and 1 x 40 ms")
        XCTAssertEqual(metrics.value("hedging_delay_seconds", ["name": "h"]), 0.5, "the last call still used the fallback")
        XCTAssertEqual(metrics.counter("hedging_attempts_total", ["name": "h", "attempt_kind": "hedge"]), 0)
        for _ in 1...100 { window.record(.microseconds(100)) } // the window now holds only these
        XCTAssertEqual(policy.hedgeDelay, .milliseconds(2), "never below the minimum")
    }

    func testACancelledLoserRecordsTheTimeUntilItWasCancelled() async throws {
        let clock = ManualClock()
        let window = LatencyWindow(capacity: 10, minimumSamples: 1, recomputeEvery: 1)
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(delay: .percentile(95, of: window, fallback: .milliseconds(100))), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let call = Task {
            try await hedger.execute { attempt -> Int in
                try await clock.sleep(for: attempt == 1 ? .seconds(10) : .milliseconds(20))
                return attempt
            }
        }
        try await awaitSleepers(clock, 2)
        clock.advance(by: .milliseconds(100)) // the hedge goes out
        try await awaitSleepers(clock, 2)
        clock.advance(by: .milliseconds(20)) // and wins at 120 ms
        let winner = try await boundedValue(call)
        XCTAssertEqual(winner, 2)
        XCTAssertEqual(window.count, 1, "only first attempts are recorded")
        XCTAssertEqual(window.percentile(100), .milliseconds(120), "the loser ran 120 ms before it was cancelled")
    }

    func testABudgetCapsHedgesAtAShareOfCalls() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        // Half a hedge per call, at most one saved up: calls 1 and 3 may hedge, call 2 may not.
        let budget = RetryBudget(name: "hedges", throttling: nil, percentage: .init(ratio: 0.5, burst: 1), metricsFactory: metrics)
        let hedger = Hedger(
            name: "h", policy: HedgingPolicy(delay: .fixed(.milliseconds(100)), budget: budget), clock: clock, metricsFactory: metrics)
        for call in 1...3 {
            let task = Task {
                try await hedger.execute { attempt in try await clock.sleep(for: attempt == 1 ? .seconds(1) : .milliseconds(10)) }
            }
            try await awaitSleepers(clock, 2) // the first attempt and the hedge timer
            clock.advance(by: .milliseconds(100))
            let deniedSoFar = call >= 2 ? 1 : 0
            try await eventually {
                metrics.counter("hedging_attempts_total", ["name": "h", "attempt_kind": "hedge"])
                    + metrics.counter("retry_budget_denied_total", ["name": "hedges"])
                    == call
            }
            XCTAssertEqual(metrics.counter("retry_budget_denied_total", ["name": "hedges"]), deniedSoFar, "call \(call)")
            clock.advance(by: .seconds(1))
            try await boundedValue(task)
        }
        XCTAssertEqual(metrics.counter("hedging_attempts_total", ["name": "h", "attempt_kind": "hedge"]), 2)
    }
}
