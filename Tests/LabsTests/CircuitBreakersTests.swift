import XCTest

/// Week 7: runs `labctl compare circuit-breakers` natively (both variants, real Prometheus) and requires
/// every expectation of labs/07-circuit-breakers/lab.yaml to hold.
final class CircuitBreakersTests: XCTestCase {
    func testBreakerFailsFastDuringTheOutageAndClosesAfterItHeals() throws {
        // 0.4: a 32 s scenario per variant; the breaker's 3 s wait (CB_WAIT_MS) is not scaled and
        // still fits in the scaled 6 s recovery phase.
        let result = try LabCompare.assertLabHolds("circuit-breakers", durationScale: 0.4)

        // Beyond the manifest: the outage itself is real in both variants — the plain client fails
        // almost every request while the breaker's fallback answers them.
        let beforeSuccess = try XCTUnwrap(result.value("success_rate_outage", "before"))
        XCTAssertLessThan(beforeSuccess, 0.2, "without a fallback the timed-out calls must surface as errors")
        let beforeInFlight = try XCTUnwrap(result.value("in_flight_outage", "before"))
        XCTAssertGreaterThan(beforeInFlight, 5, "40 rps × 0.3 s timeout ≈ 12 calls waiting at once")
    }
}
