import XCTest

@testable import LabKit

/// The `execute` APIs of retry, circuit breaker, bulkhead and adaptive limiter run the operation on the
/// caller's executor (`nonisolated(nonsending)`), so an actor can pass a closure that touches its own
/// state without making it `@Sendable`. This file compiling is half the test.
private actor InventoryService {
    private var calls = 0
    private let clock: ManualClock
    private let retrier: Retrier<ManualClock>
    private let breaker: CircuitBreaker<ManualClock>
    private let bulkhead: Bulkhead<ManualClock>
    private let limiter: AdaptiveConcurrencyLimiter<ManualClock>

    init(clock: ManualClock, metrics: ResilienceTestMetrics) {
        self.clock = clock
        let backoff = Backoff(base: .milliseconds(10), cap: .seconds(1), jitter: .none)
        retrier = Retrier(
            name: "inventory", policy: RetryPolicy(maxAttempts: 3, backoff: backoff), clock: clock, metricsFactory: metrics)
        breaker = CircuitBreaker(
            name: "inventory", configuration: CircuitBreakerConfiguration(minimumNumberOfCalls: 10), clock: clock,
            metricsFactory: metrics)
        bulkhead = Bulkhead(name: "inventory", configuration: .init(maxConcurrentCalls: 4), clock: clock, metricsFactory: metrics)
        limiter = AdaptiveConcurrencyLimiter(name: "inventory", clock: clock, metricsFactory: metrics)
    }

    /// Stacks the patterns the usual way round: shed, isolate, break, then retry inside.
    func reserve() async throws -> Int {
        try await limiter.execute {
            try await bulkhead.execute {
                try await breaker.execute {
                    try await retrier.execute { attempt in
                        calls += 1 // actor state, no Sendable closure needed
                        if attempt == 1 { throw ResilienceTestError(code: 503) }
                        return calls
                    }
                }
            }
        }
    }
}

final class CallerIsolationTests: XCTestCase {
    func testPatternsComposeInsideAnActor() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let service = InventoryService(clock: clock, metrics: metrics)
        let call = Task { try await service.reserve() }
        try await awaitSleepers(clock) // the retry backoff after the first 503
        clock.advance(by: .milliseconds(10))
        let calls = try await boundedValue(call)
        XCTAssertEqual(calls, 2)
        XCTAssertEqual(metrics.counter("retry_attempts_total", ["name": "inventory", "attempt_kind": "retry"]), 1)
        XCTAssertEqual(metrics.counter("circuit_breaker_calls_total", ["name": "inventory", "outcome": "success"]), 1)
        XCTAssertEqual(metrics.value("bulkhead_in_use", ["name": "inventory"]), 0)
        XCTAssertEqual(metrics.counter("adaptive_concurrency_requests_total", ["name": "inventory", "outcome": "admitted"]), 1)
    }
}
