import XCTest

@testable import LabKit

final class CircuitBreakerTests: XCTestCase {
    private var clock = ManualClock()
    private var metrics = ResilienceTestMetrics()

    override func setUp() {
        clock = ManualClock()
        metrics = ResilienceTestMetrics()
    }

    private func makeBreaker(
        window: CircuitBreakerConfiguration.SlidingWindow = .countBased(size: 10),
        minimumCalls: Int = 5,
        failureRate: Double = 50,
        slowRate: Double = 100,
        slowAfter: Duration = .seconds(60),
        wait: Duration = .seconds(30),
        probes: Int = 3
    ) -> CircuitBreaker<ManualClock> {
        CircuitBreaker(
            name: "dep",
            configuration: CircuitBreakerConfiguration(
                slidingWindow: window, minimumNumberOfCalls: minimumCalls, failureRateThreshold: failureRate,
                slowCallRateThreshold: slowRate, slowCallDurationThreshold: slowAfter,
                waitDurationInOpenState: wait, permittedNumberOfCallsInHalfOpenState: probes
            ),
            clock: clock,
            metricsFactory: metrics
        )
    }

    private func call(_ breaker: CircuitBreaker<ManualClock>, fails: Bool, taking duration: Duration = .zero) throws {
        let permit = try breaker.acquirePermission()
        clock.advance(by: duration)
        if fails { breaker.recordFailure(permit) } else { breaker.recordSuccess(permit) }
    }

    private func callCount(_ outcome: String) -> Int {
        metrics.counter("circuit_breaker_calls_total", ["name": "dep", "outcome": outcome])
    }

    private func transitions(_ from: String, _ to: String) -> Int {
        metrics.counter("circuit_breaker_transitions_total", ["name": "dep", "from": from, "to": to])
    }

    private func stateGauge() -> Double? {
        metrics.value("circuit_breaker_state", ["name": "dep"])
    }

    func testOpensExactlyWhenTheFailureRateReachesTheThresholdAfterTheMinimumCalls() throws {
        let breaker = makeBreaker(minimumCalls: 5, failureRate: 50)
        // Four failures: 100% failure rate, but only 4 of the 5 required calls.
        for _ in 1...4 { try call(breaker, fails: true) }
        XCTAssertEqual(breaker.currentState, .closed, "no decision before minimumNumberOfCalls")
        XCTAssertEqual(stateGauge(), 0)
        try call(breaker, fails: true)
        XCTAssertEqual(breaker.currentState, .open, "5th call reaches the minimum with 100% failures")
        XCTAssertEqual(stateGauge(), 1)
        XCTAssertEqual(transitions("closed", "open"), 1)
    }

    func testOpensOnTheCallThatMakesTheRateReachTheThreshold() throws {
        let breaker = makeBreaker(window: .countBased(size: 10), minimumCalls: 10, failureRate: 50)
        // 6 successes then failures: after 10 calls 4/10 fail (40%): closed.
        for _ in 1...6 { try call(breaker, fails: false) }
        for _ in 1...4 { try call(breaker, fails: true) }
        XCTAssertEqual(breaker.currentState, .closed, "40% < 50%")
        // The 11th call pushes out the first success: 5 failures of 10 = 50% >= 50%.
        try call(breaker, fails: true)
        XCTAssertEqual(breaker.currentState, .open)
    }

    func testStaysClosedBelowTheThreshold() throws {
        let breaker = makeBreaker(window: .countBased(size: 10), minimumCalls: 10, failureRate: 50)
        // A steady 40% failure rate never opens it.
        for round in 0..<100 { try call(breaker, fails: round % 5 < 2) }
        XCTAssertEqual(breaker.currentState, .closed)
        XCTAssertEqual(callCount("failure"), 40)
        XCTAssertEqual(callCount("success"), 60)
        XCTAssertEqual(transitions("closed", "open"), 0)
    }

    func testCountBasedMinimumIsCappedAtTheWindowSize() throws {
        // Resilience4j: with a count window of 4, a minimum of 100 calls means 4.
        let breaker = makeBreaker(window: .countBased(size: 4), minimumCalls: 100, failureRate: 50)
        for _ in 1...3 { try call(breaker, fails: true) }
        XCTAssertEqual(breaker.currentState, .closed)
        try call(breaker, fails: true)
        XCTAssertEqual(breaker.currentState, .open)
    }

    func testSlowCallsOpenTheBreaker() throws {
        let breaker = makeBreaker(minimumCalls: 4, failureRate: 50, slowRate: 50, slowAfter: .seconds(1))
        // Exactly the threshold is not slow (slow means strictly longer).
        try call(breaker, fails: false, taking: .seconds(1))
        try call(breaker, fails: false, taking: .seconds(1))
        try call(breaker, fails: false, taking: .milliseconds(1001))
        XCTAssertEqual(breaker.currentState, .closed, "3 calls < minimum")
        try call(breaker, fails: false, taking: .seconds(2))
        XCTAssertEqual(breaker.currentState, .open, "2 slow of 4 = 50% slow calls")
        XCTAssertEqual(callCount("slow"), 2)
        XCTAssertEqual(callCount("success"), 2)
        XCTAssertEqual(callCount("failure"), 0)
    }

    func testOpenRejectsWithoutCallingAndTellsWhenToRetry() async throws {
        let breaker = makeBreaker(minimumCalls: 1, wait: .seconds(30))
        try call(breaker, fails: true)
        XCTAssertEqual(breaker.currentState, .open)
        clock.advance(by: .seconds(10))
        let ran = ResilienceBox(false)
        do {
            try await breaker.execute { ran.update { $0 = true } }
            XCTFail("an open breaker must reject")
        } catch let error as CircuitBreakerOpenError {
            XCTAssertEqual(error.state, .open)
            XCTAssertEqual(error.retryAfter, .seconds(20))
        }
        XCTAssertFalse(ran.value, "the operation must not run")
        XCTAssertEqual(callCount("rejected"), 1)
    }

    func testAfterTheWaitTheNextCallMovesToHalfOpen() throws {
        let breaker = makeBreaker(minimumCalls: 1, wait: .seconds(30))
        try call(breaker, fails: true)
        clock.advance(by: .seconds(30) - .nanoseconds(1))
        XCTAssertThrowsError(try breaker.acquirePermission())
        clock.advance(by: .nanoseconds(1))
        XCTAssertEqual(breaker.currentState, .open, "the transition happens on the next call, not on a timer")
        _ = try breaker.acquirePermission()
        XCTAssertEqual(breaker.currentState, .halfOpen)
        XCTAssertEqual(stateGauge(), 2)
        XCTAssertEqual(transitions("open", "half_open"), 1)
    }

    /// Opens the breaker and moves it to half-open, returning the first probe's permit.
    private func halfOpen(_ breaker: CircuitBreaker<ManualClock>) throws -> CircuitBreaker<ManualClock>.Permit {
        for _ in 1...5 { try call(breaker, fails: true) }
        XCTAssertEqual(breaker.currentState, .open)
        clock.advance(by: .seconds(30))
        return try breaker.acquirePermission()
    }

    func testHalfOpenAdmitsExactlyNProbesConcurrently() throws {
        let breaker = makeBreaker(probes: 3)
        let first = try halfOpen(breaker)
        let second = try breaker.acquirePermission()
        let third = try breaker.acquirePermission()
        XCTAssertThrowsError(try breaker.acquirePermission(), "the 4th concurrent call") { error in
            XCTAssertEqual((error as? CircuitBreakerOpenError)?.state, .halfOpen)
        }
        // Completing probes does not free slots: the decision waits for all N.
        breaker.recordSuccess(first)
        XCTAssertThrowsError(try breaker.acquirePermission())
        breaker.recordSuccess(second)
        XCTAssertEqual(breaker.currentState, .halfOpen, "2 of 3 probes done: no decision yet")
        breaker.recordSuccess(third)
        XCTAssertEqual(breaker.currentState, .closed)
        XCTAssertEqual(transitions("half_open", "closed"), 1)
        XCTAssertEqual(stateGauge(), 0)
    }

    func testHalfOpenReopensWhenProbesFailAtTheThreshold() throws {
        let breaker = makeBreaker(failureRate: 50, probes: 4)
        let probes = try [halfOpen(breaker)] + (1...3).map { _ in try breaker.acquirePermission() }
        breaker.recordSuccess(probes[0])
        breaker.recordSuccess(probes[1])
        breaker.recordFailure(probes[2])
        XCTAssertEqual(breaker.currentState, .halfOpen)
        breaker.recordFailure(probes[3])
        XCTAssertEqual(breaker.currentState, .open, "2 of 4 probes failed = 50%")
        XCTAssertEqual(transitions("half_open", "open"), 1)
        // The wait starts again from the reopening.
        clock.advance(by: .seconds(29))
        XCTAssertThrowsError(try breaker.acquirePermission())
    }

    func testHalfOpenClosesWhenProbeFailuresStayBelowTheThreshold() throws {
        let breaker = makeBreaker(failureRate: 50, probes: 4)
        let probes = try [halfOpen(breaker)] + (1...3).map { _ in try breaker.acquirePermission() }
        breaker.recordFailure(probes[0])
        for probe in probes.dropFirst() { breaker.recordSuccess(probe) }
        XCTAssertEqual(breaker.currentState, .closed, "1 of 4 = 25% < 50%")
        // Closing starts a fresh window: 4 failures (below the minimum of 5) do not reopen it.
        for _ in 1...4 { try call(breaker, fails: true) }
        XCTAssertEqual(breaker.currentState, .closed)
    }

    func testReleasedProbeFreesItsSlot() throws {
        let breaker = makeBreaker(probes: 1)
        let probe = try halfOpen(breaker)
        XCTAssertThrowsError(try breaker.acquirePermission())
        breaker.releasePermission(probe)
        let retry = try breaker.acquirePermission()
        breaker.recordSuccess(retry)
        XCTAssertEqual(breaker.currentState, .closed)
        XCTAssertEqual(callCount("ignored"), 1)
    }

    func testLateResultFromBeforeTheTransitionIsNotAProbe() throws {
        let breaker = makeBreaker(probes: 1)
        let straggler = try breaker.acquirePermission() // admitted while closed
        let probe = try halfOpen(breaker)
        breaker.recordSuccess(straggler)
        XCTAssertEqual(breaker.currentState, .halfOpen, "a call from the closed era does not count as a probe")
        breaker.recordSuccess(probe)
        XCTAssertEqual(breaker.currentState, .closed)
    }

    func testTimeBasedWindowForgetsOldCalls() throws {
        let breaker = makeBreaker(window: .timeBased(seconds: 10), minimumCalls: 4, failureRate: 50)
        for _ in 1...3 { try call(breaker, fails: true) } // in second 0
        clock.advance(by: .seconds(9))
        try call(breaker, fails: false)
        XCTAssertEqual(breaker.currentState, .open, "second 9: the failures of second 0 are still in the window (3 of 4)")

        let fresh = makeBreaker(window: .timeBased(seconds: 10), minimumCalls: 4, failureRate: 50)
        for _ in 1...3 { try call(fresh, fails: true) }
        clock.advance(by: .seconds(10))
        try call(fresh, fails: true)
        XCTAssertEqual(fresh.currentState, .closed, "10 s later the first three calls have left the window: only 1 call")
        for _ in 1...3 { try call(fresh, fails: true) }
        XCTAssertEqual(fresh.currentState, .open)
    }

    func testExecuteRecordsOutcomesAndClassifiesErrors() async throws {
        let breaker = CircuitBreaker(
            name: "dep",
            configuration: CircuitBreakerConfiguration(
                slidingWindow: .countBased(size: 4), minimumNumberOfCalls: 4,
                recordsFailure: { ($0 as? ResilienceTestError)?.code != 404 }
            ),
            clock: clock, metricsFactory: metrics
        )
        let value = try await breaker.execute { 42 }
        XCTAssertEqual(value, 42)
        for code in [404, 404, 500] {
            do {
                try await breaker.execute { throw ResilienceTestError(code: code) }
            } catch {}
        }
        // 404s count as successes (not failures): 1 failure of 4 = 25%.
        XCTAssertEqual(breaker.currentState, .closed)
        XCTAssertEqual(callCount("success"), 3)
        XCTAssertEqual(callCount("failure"), 1)
        do { try await breaker.execute { throw CancellationError() } } catch {}
        XCTAssertEqual(callCount("ignored"), 1)
    }

    func testTransitionHandlerSeesEveryChange() throws {
        let seen = ResilienceBox<[String]>([])
        let breaker = CircuitBreaker(
            name: "dep",
            configuration: CircuitBreakerConfiguration(
                slidingWindow: .countBased(size: 2), minimumNumberOfCalls: 2, waitDurationInOpenState: .seconds(1),
                permittedNumberOfCallsInHalfOpenState: 1),
            clock: clock, metricsFactory: metrics,
            onTransition: { from, to in seen.update { $0.append("\(from)->\(to)") } }
        )
        try call(breaker, fails: true)
        try call(breaker, fails: true)
        clock.advance(by: .seconds(1))
        try call(breaker, fails: false)
        XCTAssertEqual(seen.value, ["closed->open", "open->half_open", "half_open->closed"])
    }

    func testTimeBasedWindowDropsCallsWithTheirOneSecondBucket() throws {
        // Two failures are needed (minimum 2, threshold 100%); the first lands at t = 0.9 s, in the
        // bucket of second 0, which leaves the 10 s window when second 10 begins.
        for (secondFailureAt, expected) in [(Duration.milliseconds(9_999), CircuitBreakerState.open), (.seconds(10), .closed)] {
            clock = ManualClock()
            let breaker = makeBreaker(window: .timeBased(seconds: 10), minimumCalls: 2, failureRate: 100)
            clock.advance(by: .milliseconds(900))
            try call(breaker, fails: true)
            clock.advance(to: ManualClock.Instant(offset: secondFailureAt))
            try call(breaker, fails: true)
            XCTAssertEqual(breaker.currentState, expected, "second failure at \(secondFailureAt)")
        }
    }

    func testSlowFailuresCountAsFailuresAndAsSlow() throws {
        let breaker = makeBreaker(minimumCalls: 2, failureRate: 100, slowRate: 50, slowAfter: .seconds(1))
        try call(breaker, fails: false)
        try call(breaker, fails: true, taking: .seconds(2))
        XCTAssertEqual(breaker.currentState, .open, "1 slow of 2 = 50% slow, though only 50% failed")
        XCTAssertEqual(callCount("failure"), 1)
        XCTAssertEqual(callCount("slow"), 0, "slow is for slow successes; the slow failure is a failure")
        XCTAssertEqual(callCount("success"), 1)
    }
}
