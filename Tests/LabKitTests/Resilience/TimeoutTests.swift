import XCTest

@testable import LabKit

final class TimeoutTests: XCTestCase {
    func testFinishesInTimeReturnsTheResult() async throws {
        let clock = ManualClock()
        let value = try await withTimeout(.seconds(1), clock: clock) { 7 }
        XCTAssertEqual(value, 7)
        XCTAssertEqual(clock.sleeperCount, 0, "the timer is cancelled")
    }

    func testTimeoutCancelsTheOperationAndThrows() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let sawCancellation = ResilienceBox(false)
        let call = Task {
            try await withTimeout(.seconds(2), clock: clock, name: "slow", metricsFactory: metrics) {
                do {
                    try await clock.sleep(for: .seconds(10)) // the slow dependency
                } catch is CancellationError {
                    sawCancellation.update { $0 = true }
                    throw CancellationError()
                }
                return "too late"
            }
        }
        try await awaitSleepers(clock, 2) // the operation and the timer
        clock.advance(by: .milliseconds(1999))
        XCTAssertFalse(sawCancellation.value)
        clock.advance(by: .milliseconds(1))
        let result = await boundedResult(call)
        XCTAssertThrowsError(try result.get()) { XCTAssertEqual(($0 as? DeadlineExceededError)?.timeout, .seconds(2)) }
        XCTAssertTrue(sawCancellation.value, "the operation was cancelled, not abandoned")
        XCTAssertEqual(metrics.counter("timeouts_total", ["name": "slow"]), 1)
    }

    func testOperationErrorsPassThrough() async {
        do {
            _ = try await withTimeout(.seconds(1), clock: ManualClock()) { () -> Int in throw ResilienceTestError(code: 5) }
            XCTFail("expected the error")
        } catch {
            XCTAssertEqual(error as? ResilienceTestError, ResilienceTestError(code: 5))
        }
    }

    func testExpiredDeadlineDoesNotStartTheOperation() async {
        let clock = ManualClock()
        let deadline = Deadline.after(.seconds(1), clock: clock)
        clock.advance(by: .seconds(1))
        XCTAssertTrue(deadline.hasExpired)
        let ran = ResilienceBox(false)
        do {
            try await withDeadline(deadline) { ran.update { $0 = true } }
            XCTFail("expected DeadlineExceededError")
        } catch {
            XCTAssertTrue(error is DeadlineExceededError)
        }
        XCTAssertFalse(ran.value)
    }

    func testDeadlineRemainingAndCapping() {
        let clock = ManualClock()
        let deadline = Deadline.after(.seconds(5), clock: clock)
        clock.advance(by: .seconds(2))
        XCTAssertEqual(deadline.remaining, .seconds(3))
        XCTAssertEqual(deadline.capped(by: .seconds(1)).remaining, .seconds(1), "a shorter own timeout wins")
        XCTAssertEqual(deadline.capped(by: .seconds(10)).remaining, .seconds(3), "a longer one never extends the budget")
        clock.advance(by: .seconds(10))
        XCTAssertEqual(deadline.remaining, .zero, "never negative")
    }

    func testHeaderFormat() {
        XCTAssertEqual(RequestTimeoutHeader.name, "x-request-timeout-ms")
        XCTAssertEqual(RequestTimeoutHeader.format(.milliseconds(1500)), "1500")
        XCTAssertEqual(
            RequestTimeoutHeader.format(.microseconds(1999)), "1", "rounded down: the callee must not think it has more time")
        XCTAssertEqual(RequestTimeoutHeader.format(.microseconds(999)), "0")
        XCTAssertEqual(RequestTimeoutHeader.format(.seconds(-3)), "0")
        XCTAssertEqual(RequestTimeoutHeader.format(.seconds(1_000_000)), "99999999", "clamped to 8 digits")
    }

    func testHeaderParse() {
        XCTAssertEqual(RequestTimeoutHeader.parse("250"), .milliseconds(250))
        XCTAssertEqual(RequestTimeoutHeader.parse(" 250\t"), .milliseconds(250))
        XCTAssertEqual(RequestTimeoutHeader.parse("0"), .zero)
        XCTAssertEqual(RequestTimeoutHeader.parse("99999999"), .milliseconds(99_999_999))
        for bad in ["", " ", "-5", "+5", "1.5", "10ms", "1e3", "0x10", "123456789", "١٢٣", "5 5"] {
            XCTAssertNil(RequestTimeoutHeader.parse(bad), "'\(bad)' must be ignored")
        }
    }

    func testHeaderRoundTripCarriesTheRemainingBudget() {
        let clock = ManualClock()
        let deadline = Deadline.after(.milliseconds(800), clock: clock)
        clock.advance(by: .milliseconds(300))
        let header = RequestTimeoutHeader.format(deadline.remaining)
        XCTAssertEqual(header, "500")
        // The callee (its own clock, any skew) rebuilds a deadline from the relative budget.
        let calleeClock = ManualClock()
        calleeClock.advance(by: .seconds(12345))
        let received = Deadline.after(RequestTimeoutHeader.parse(header)!, clock: calleeClock)
        XCTAssertEqual(received.remaining, .milliseconds(500))
    }
}

/// `withAbandonment` answers on time even when the operation ignores cancellation.
final class AbandonmentTests: XCTestCase {
    func testReturnsTheResultInTime() async throws {
        let value = try await withAbandonment(after: .seconds(5)) { 7 }
        XCTAssertEqual(value, 7)
    }

    func testErrorsPassThrough() async {
        do {
            _ = try await withAbandonment(after: .seconds(5)) { () -> Int in throw ResilienceTestError(code: 5) }
            XCTFail("expected the operation's error")
        } catch {
            XCTAssertEqual((error as? ResilienceTestError)?.code, 5)
        }
    }

    /// The operation blocks a thread (it cannot see cancellation); withTimeout would wait the whole
    /// 3 s for it, withAbandonment answers at its 200 ms deadline and the operation is cancelled.
    /// The blocked work runs on a thread of its own, not Dispatch's shared pool, so a busy pool
    /// cannot delay it; the check waits for the operation to finish, then reads what it saw.
    func testAnOperationThatIgnoresCancellationIsAbandonedAtTheDeadline() async throws {
        let release = DispatchSemaphore(value: 0)
        let sawCancellation = ResilienceBox<Bool?>(nil) // nil until the abandoned operation finishes
        let start = ContinuousClock.now
        do {
            _ = try await withAbandonment(after: .milliseconds(200)) { () -> Int in
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    Thread {
                        _ = release.wait(timeout: .now() + 3)
                        c.resume()
                    }.start()
                }
                sawCancellation.update { $0 = Task.isCancelled }
                return 1
            }
            XCTFail("expected DeadlineExceededError")
        } catch {
            XCTAssertEqual((error as? DeadlineExceededError)?.timeout, .milliseconds(200))
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2), "the caller did not wait for the operation")
        release.signal()
        for _ in 0..<500 where sawCancellation.value == nil { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertEqual(sawCancellation.value, true, "the abandoned operation finished and saw that it was cancelled")
    }

    /// With a timeout of zero the deadline can come before the work has started; the caller must
    /// still hear of it only after the work was cancelled: work that starts after its caller moved
    /// on always finds itself cancelled.
    func testAZeroTimeoutCancelsTheWorkBeforeTheCallerMovesOn() async throws {
        let uncancelledAfterTheCallerMovedOn = ResilienceBox(0)
        let finished = ResilienceBox(0)
        let rounds = 200
        for _ in 0..<rounds {
            let callerMovedOn = ResilienceBox(false)
            _ = try? await withAbandonment(after: .zero) { () -> Int in
                if callerMovedOn.value && !Task.isCancelled { uncancelledAfterTheCallerMovedOn.update { $0 += 1 } }
                finished.update { $0 += 1 }
                return 1
            }
            callerMovedOn.update { $0 = true }
        }
        for _ in 0..<250 where finished.value < rounds { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertEqual(finished.value, rounds)
        XCTAssertEqual(uncancelledAfterTheCallerMovedOn.value, 0)
    }

    func testTheCallersCancellationEndsTheWaitAtOnce() async throws {
        let call = Task {
            try await withAbandonment(after: .seconds(30)) { () -> Int in
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        call.cancel()
        let start = ContinuousClock.now
        let result = await call.result
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
    }
}
