import XCTest

@testable import LabKit

final class RetryBudgetTests: XCTestCase {
    func testThrottlingAllowsRetriesOnlyAboveHalfTheTokens() {
        let metrics = ResilienceTestMetrics()
        let budget = RetryBudget(name: "b", throttling: .init(maxTokens: 10, tokenRatio: 0.1), metricsFactory: metrics)
        XCTAssertEqual(budget.tokens, 10)
        for _ in 1...4 { budget.recordFailure() }
        XCTAssertEqual(budget.tokens, 6)
        XCTAssertTrue(budget.tryAcquireRetry(), "6 > 5")
        budget.recordFailure()
        XCTAssertEqual(budget.tokens, 5)
        XCTAssertFalse(budget.tryAcquireRetry(), "5 is not > 5")
        XCTAssertEqual(metrics.counter("retry_budget_denied_total", ["name": "b"]), 1)
        XCTAssertEqual(metrics.value("retry_budget_tokens", ["name": "b"]), 5)
    }

    func testThrottlingRecoversWithSuccesses() {
        let budget = RetryBudget(
            name: "b", throttling: .init(maxTokens: 10, tokenRatio: 0.1), metricsFactory: ResilienceTestMetrics())
        for _ in 1...20 { budget.recordFailure() }
        XCTAssertEqual(budget.tokens, 0, "tokens never go below zero")
        XCTAssertFalse(budget.tryAcquireRetry())
        // From 0 to above 5 takes 51 successes of 0.1 (exact: kept in milli-tokens).
        for _ in 1...50 { budget.recordSuccess() }
        XCTAssertEqual(budget.tokens, 5)
        XCTAssertFalse(budget.tryAcquireRetry())
        budget.recordSuccess()
        XCTAssertEqual(budget.tokens, 5.1)
        XCTAssertTrue(budget.tryAcquireRetry())
        for _ in 1...100 { budget.recordSuccess() }
        XCTAssertEqual(budget.tokens, 10, "tokens never exceed maxTokens")
    }

    func testPercentageBudgetCapsRetriesAtAFractionOfRequests() {
        let budget = RetryBudget(
            name: "p", throttling: nil, percentage: .init(ratio: 0.2, burst: 2), metricsFactory: ResilienceTestMetrics())
        // The starting balance is the burst.
        XCTAssertTrue(budget.tryAcquireRetry())
        XCTAssertTrue(budget.tryAcquireRetry())
        XCTAssertFalse(budget.tryAcquireRetry())
        // 100 requests at 20% buy exactly 20 retries when each is spent as soon as it is earned.
        var granted = 0
        for _ in 1...100 {
            budget.recordRequest()
            if budget.tryAcquireRetry() { granted += 1 }
        }
        XCTAssertEqual(granted, 20)
        for _ in 1...100 { budget.recordRequest() }
        XCTAssertEqual((1...10).filter { _ in budget.tryAcquireRetry() }.count, 2, "idle requests bank at most the burst")
    }

    func testBothBudgetsMustAgree() {
        let budget = RetryBudget(
            name: "both", throttling: .init(maxTokens: 4, tokenRatio: 1), percentage: .init(ratio: 0.5, burst: 1),
            metricsFactory: ResilienceTestMetrics())
        XCTAssertTrue(budget.tryAcquireRetry())
        XCTAssertFalse(budget.tryAcquireRetry(), "percentage balance spent")
        budget.recordRequest()
        budget.recordRequest()
        budget.recordFailure()
        budget.recordFailure()
        XCTAssertFalse(budget.tryAcquireRetry(), "throttling at 2 of 4 tokens says no even though the percentage says yes")
        budget.recordSuccess()
        XCTAssertTrue(budget.tryAcquireRetry())
    }
}
