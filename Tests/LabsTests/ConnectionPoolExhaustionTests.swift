import XCTest

/// Week 4: runs `labctl compare connection-pool-exhaustion` natively (all three variants against a
/// real PostgreSQL running real `pg_sleep` reports, real Prometheus) and requires every expectation of
/// labs/04-connection-pool-exhaustion/lab.yaml to hold.
final class ConnectionPoolExhaustionTests: XCTestCase {
    func testSeparatePoolKeepsTheFastPathFastWhileReportsExhaustTheirs() throws {
        // 0.7: a 17 s scenario per variant (a 7 s burst). The reports' 2 s and the 250 ms acquire
        // timeouts are not scaled, so the shared pool still needs twice the connections it has.
        let result = try LabCompare.assertLabHolds("connection-pool-exhaustion", durationScale: 0.7)

        // Beyond the manifest: the starvation is real, and the bulkhead does not come for free -
        // it is the reports that get rejected now, not the lookups.
        let beforeQueue = try XCTUnwrap(result.value("waiting_for_connection_max", "before"))
        XCTAssertGreaterThan(beforeQueue, 10, "5 reports/s × 2 s on 5 connections: the queue must build up")
        let afterReports = try XCTUnwrap(result.value("report_success_burst", "after"))
        XCTAssertLessThan(afterReports, 0.6, "a pool of 2 serves 1 report/s of the 5/s; the rest get a quick 503")
        XCTAssertGreaterThan(afterReports, 0.05, "the slow pool still serves some reports")
    }
}
