import XCTest

@testable import LabKit

final class RetryTests: XCTestCase {
    private let fixedBackoff = Backoff(base: .milliseconds(100), multiplier: 2, cap: .seconds(10), jitter: .none)

    func testRetriesUntilSuccessSleepingTheBackoffBetweenAttempts() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let retrier = Retrier(
            name: "db", policy: RetryPolicy(maxAttempts: 5, backoff: fixedBackoff), clock: clock, metricsFactory: metrics)
        let attemptTimes = ResilienceBox<[Duration]>([])
        let start = clock.now
        let call = Task {
            try await retrier.execute { attempt in
                attemptTimes.update { $0.append(start.duration(to: clock.now)) }
                if attempt < 3 { throw ResilienceTestError(code: attempt) }
                return "ok after \(attempt)"
            }
        }
        // Attempt 1 fails at t=0, then the retrier sleeps 100 ms; attempt 2 at 100 ms, sleeps 200 ms.
        try await awaitSleepers(clock, 1)
        clock.advance(by: .milliseconds(99))
        XCTAssertEqual(attemptTimes.value.count, 1, "no retry before the backoff elapsed")
        clock.advance(by: .milliseconds(1))
        try await eventually { attemptTimes.value.count == 2 }
        try await awaitSleepers(clock, 1)
        clock.advance(by: .milliseconds(200))
        let result = try await boundedValue(call)
        XCTAssertEqual(result, "ok after 3")
        XCTAssertEqual(attemptTimes.value, [.zero, .milliseconds(100), .milliseconds(300)])
        XCTAssertEqual(metrics.counter("retry_attempts_total", ["name": "db", "attempt_kind": "first"]), 1)
        XCTAssertEqual(metrics.counter("retry_attempts_total", ["name": "db", "attempt_kind": "retry"]), 2)
        XCTAssertEqual(metrics.counter("retry_calls_total", ["name": "db", "outcome": "success"]), 1)
    }

    func testGivesUpAfterMaxAttemptsWithTheLastError() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let retrier = Retrier(
            name: "svc", policy: RetryPolicy(maxAttempts: 3, backoff: fixedBackoff), clock: clock, metricsFactory: metrics)
        let call = Task {
            try await retrier.execute { attempt -> Int in throw ResilienceTestError(code: attempt) }
        }
        for _ in 1...2 {
            try await awaitSleepers(clock, 1)
            clock.advance(by: .seconds(1))
        }
        let result = await boundedResult(call)
        XCTAssertThrowsError(try result.get()) { XCTAssertEqual($0 as? ResilienceTestError, ResilienceTestError(code: 3)) }
        XCTAssertEqual(metrics.counter("retry_attempts_total", ["name": "svc", "attempt_kind": "retry"]), 2)
        XCTAssertEqual(metrics.counter("retry_calls_total", ["name": "svc", "outcome": "exhausted"]), 1)
    }

    func testNonRetryableErrorsAreNotRetried() async {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let policy = RetryPolicy(
            maxAttempts: 5, backoff: fixedBackoff, isRetryable: { ($0 as? ResilienceTestError)?.code != 400 })
        let retrier = Retrier(name: "api", policy: policy, clock: clock, metricsFactory: metrics)
        let attempts = ResilienceBox(0)
        do {
            _ = try await retrier.execute { _ -> Int in
                attempts.update { $0 += 1 }
                throw ResilienceTestError(code: 400)
            }
            XCTFail("expected the error")
        } catch {
            XCTAssertEqual(error as? ResilienceTestError, ResilienceTestError(code: 400))
        }
        XCTAssertEqual(attempts.value, 1)
        XCTAssertEqual(metrics.counter("retry_calls_total", ["name": "api", "outcome": "not_retryable"]), 1)
    }

    func testJitteredRetryIsReproducibleWithASeededGenerator() async throws {
        let backoff = Backoff(base: .milliseconds(100), multiplier: 2, cap: .seconds(5), jitter: .full)
        var expectedGenerator = SeededRandomNumberGenerator(seed: 11)
        let expected = backoff.delays(count: 3, using: &expectedGenerator)

        let clock = ManualClock()
        let retrier = Retrier(
            name: "jitter", policy: RetryPolicy(maxAttempts: 4, backoff: backoff), clock: clock,
            randomNumberGenerator: SeededRandomNumberGenerator(seed: 11), metricsFactory: ResilienceTestMetrics()
        )
        let attemptTimes = ResilienceBox<[ManualClock.Instant]>([])
        let call = Task {
            try await retrier.execute { attempt -> Int in
                attemptTimes.update { $0.append(clock.now) }
                if attempt < 4 { throw ResilienceTestError() }
                return attempt
            }
        }
        for retry in 1...3 {
            try await awaitSleepers(clock, 1)
            clock.advance(by: expected[retry - 1])
            try await eventually { attemptTimes.value.count == retry + 1 }
        }
        let attempts = try await boundedValue(call)
        XCTAssertEqual(attempts, 4)
        let times = attemptTimes.value
        XCTAssertEqual((1...3).map { times[$0 - 1].duration(to: times[$0]) }, expected)
    }

    func testBudgetStopsRetriesWhenTheServerKeepsFailing() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        // 10 tokens; retries need > 5. Every failed attempt costs one token.
        let budget = RetryBudget(name: "svc", throttling: .init(maxTokens: 10, tokenRatio: 0.1), metricsFactory: metrics)
        let retrier = Retrier(
            name: "svc", policy: RetryPolicy(maxAttempts: 10, backoff: fixedBackoff), budget: budget, clock: clock,
            metricsFactory: metrics)
        let attempts = ResilienceBox(0)
        let call = Task {
            try await retrier.execute { _ -> Int in
                attempts.update { $0 += 1 }
                throw ResilienceTestError()
            }
        }
        // Attempts 1-4 leave 9, 8, 7, 6 tokens (retry allowed); attempt 5 leaves 5: denied.
        for _ in 1...4 {
            try await awaitSleepers(clock, 1)
            clock.advance(by: .seconds(10))
        }
        let result = await boundedResult(call)
        XCTAssertThrowsError(try result.get())
        XCTAssertEqual(attempts.value, 5)
        XCTAssertEqual(budget.tokens, 5)
        XCTAssertEqual(metrics.counter("retry_calls_total", ["name": "svc", "outcome": "budget_denied"]), 1)
        XCTAssertEqual(metrics.counter("retry_budget_denied_total", ["name": "svc"]), 1)
    }

    func testCancellationDuringBackoffStopsRetrying() async throws {
        let clock = ManualClock()
        let retrier = Retrier(
            name: "c", policy: RetryPolicy(maxAttempts: 5, backoff: fixedBackoff), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let attempts = ResilienceBox(0)
        let call = Task {
            try await retrier.execute { _ -> Int in
                attempts.update { $0 += 1 }
                throw ResilienceTestError()
            }
        }
        try await awaitSleepers(clock, 1)
        call.cancel()
        let result = await boundedResult(call)
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError) }
        XCTAssertEqual(attempts.value, 1)
    }

    func testNoRetryWhoseBackoffWouldOutliveTheDeadline() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let retrier = Retrier(
            name: "d", policy: RetryPolicy(maxAttempts: 10, backoff: fixedBackoff), clock: clock, metricsFactory: metrics)
        // Backoffs 100, 200, 400 ms: with 500 ms of budget the retries at 100 and 300 ms fit; the next
        // would wake at 700 ms, past the deadline.
        let deadline = Deadline.after(.milliseconds(500), clock: clock)
        let attempts = ResilienceBox(0)
        let call = Task {
            try await retrier.execute(deadline: deadline) { attempt -> Int in
                attempts.update { $0 = attempt }
                throw ResilienceTestError(code: attempt)
            }
        }
        try await awaitSleepers(clock)
        clock.advance(by: .milliseconds(100))
        try await eventually { attempts.value == 2 }
        try await awaitSleepers(clock)
        clock.advance(by: .milliseconds(200))
        let result = await boundedResult(call)
        XCTAssertThrowsError(try result.get()) { XCTAssertEqual($0 as? ResilienceTestError, ResilienceTestError(code: 3)) }
        XCTAssertEqual(attempts.value, 3)
        XCTAssertEqual(metrics.counter("retry_calls_total", ["name": "d", "outcome": "deadline"]), 1)
    }

    func testServerRetryAfterHintStretchesTheBackoff() async throws {
        let clock = ManualClock()
        let policy = RetryPolicy(
            maxAttempts: 3, backoff: fixedBackoff,
            retryAfter: { ($0 as? ResilienceTestError)?.code == 429 ? .seconds(30) : nil })
        let retrier = Retrier(name: "ra", policy: policy, clock: clock, metricsFactory: ResilienceTestMetrics())
        let start = clock.now
        let attemptTimes = ResilienceBox<[Duration]>([])
        let call = Task {
            try await retrier.execute { attempt -> Int in
                attemptTimes.update { $0.append(start.duration(to: clock.now)) }
                switch attempt {
                case 1: throw ResilienceTestError(code: 429) // "come back in 30 s", beyond the 10 s cap
                case 2: throw ResilienceTestError(code: 503) // no hint: the backoff's 200 ms
                default: return attempt
                }
            }
        }
        try await awaitSleepers(clock)
        clock.advance(by: .seconds(29))
        XCTAssertEqual(attemptTimes.value.count, 1, "the hint is honoured over the 100 ms backoff")
        clock.advance(by: .seconds(1))
        try await eventually { attemptTimes.value.count == 2 }
        try await awaitSleepers(clock)
        clock.advance(by: .milliseconds(200))
        _ = try await boundedValue(call)
        XCTAssertEqual(attemptTimes.value, [.zero, .seconds(30), .seconds(30) + .milliseconds(200)])
    }
}
