import Foundation
import LabControl
import XCTest

@testable import LabKit

/// SQL invariants against a real PostgreSQL: the count the database returns becomes the gauge
/// `invariant_violations{invariant=…}` in the service's exposition.
final class SQLInvariantCheckerTests: XCTestCase {
    private static let server = PostgresOnce()

    override class func tearDown() {
        let done = DispatchSemaphore(value: 0)
        Task {
            await server.stopAndRemove()
            done.signal()
        }
        done.wait()
        super.tearDown()
    }

    private func makePool(_ name: String) async throws -> (LabPostgres, Task<Void, Never>) {
        _ = TestTelemetry.telemetry
        let pg = try await Self.server.get()
        let context = try LabContext(serviceName: "invariant-test", environment: ["DATABASE_URL": pg.url, "DB_POOL_SIZE": "2"])
        let db = try XCTUnwrap(try LabPostgres.fromEnvironment(context, poolName: name))
        let task = Task { await db.client.run() }
        addTeardownBlock { task.cancel() }
        return (db, task)
    }

    private func exposition() -> String { TestTelemetry.telemetry.exposition(accept: nil).body }

    func testCountsViolationsOfEveryIntegerTypeAndExportsThemAsAGauge() async throws {
        let (db, _) = try await makePool("inv-count")
        try await db.query("CREATE TABLE seats_t1 (seat int NOT NULL, booking int NOT NULL)")
        // Seat 1 is booked twice, seat 2 three times: 1 + 2 = 3 extra bookings, 2 seats double-booked.
        try await db.query("INSERT INTO seats_t1 VALUES (1, 10), (1, 11), (2, 12), (2, 13), (2, 14), (3, 15)")
        let checker = SQLInvariantChecker(
            db: db,
            invariants: [
                // count(*) is bigint, sum() of bigint is numeric, an int4 column is int4: all must decode.
                SQLInvariant(
                    "t1_double_booked_seats", "SELECT count(*) FROM (SELECT seat FROM seats_t1 GROUP BY seat HAVING count(*) > 1) s"),
                SQLInvariant(
                    "t1_extra_bookings", "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM seats_t1 GROUP BY seat) s"),
                SQLInvariant("t1_max_seat", "SELECT max(seat) FROM seats_t1"),
            ], logger: .init(label: "test"))

        let counts = await checker.checkAll()
        XCTAssertEqual(counts, ["t1_double_booked_seats": 2, "t1_extra_bookings": 3, "t1_max_seat": 3])
        let text = exposition()
        XCTAssertTrue(text.contains(#"invariant_violations{invariant="t1_double_booked_seats"} 2"#), text)
        XCTAssertTrue(text.contains(#"invariant_violations{invariant="t1_extra_bookings"} 3"#), text)

        // Repairing the data brings the gauge back to 0 on the next check.
        try await db.query("DELETE FROM seats_t1 WHERE booking IN (11, 13, 14)")
        let repaired = await checker.checkAll()
        XCTAssertEqual(repaired["t1_extra_bookings"], 0)
        XCTAssertTrue(exposition().contains(#"invariant_violations{invariant="t1_extra_bookings"} 0"#))
    }

    func testAnInvariantThatCannotBeCheckedGivesNoSeriesRatherThanAFalseZero() async throws {
        let (db, _) = try await makePool("inv-missing")
        let checker = SQLInvariantChecker(
            db: db,
            invariants: [
                SQLInvariant("t2_missing_table", "SELECT count(*) FROM no_such_table_t2"),
                SQLInvariant("t2_null", "SELECT NULL::int"),
            ], logger: .init(label: "test"))
        let counts = await checker.checkAll()
        XCTAssertEqual(counts, [:])
        XCTAssertFalse(exposition().contains(#"invariant="t2_missing_table""#), "no series before the first successful check")
        XCTAssertFalse(exposition().contains(#"invariant="t2_null""#))

        // Once the table exists, the same checker starts reporting.
        try await db.query("CREATE TABLE no_such_table_t2 (id int)")
        try await db.query("INSERT INTO no_such_table_t2 VALUES (1), (2)")
        let later = await checker.checkAll()
        XCTAssertEqual(later["t2_missing_table"], 2)
    }

    func testRunningCheckerFollowsTheData() async throws {
        let (db, _) = try await makePool("inv-run")
        try await db.query("CREATE TABLE stock_t3 (item int PRIMARY KEY, stock int NOT NULL)")
        try await db.query("INSERT INTO stock_t3 VALUES (1, 5), (2, 0)")
        let checker = SQLInvariantChecker(
            db: db, invariants: [SQLInvariant("t3_negative_stock", "SELECT count(*) FROM stock_t3 WHERE stock < 0")],
            interval: .milliseconds(50), logger: .init(label: "test"))
        let running = Task { try await checker.run() }
        defer { running.cancel() }

        try await waitFor { checker.lastCounts["t3_negative_stock"] == 0 }
        try await db.query("UPDATE stock_t3 SET stock = -1")
        try await waitFor { checker.lastCounts["t3_negative_stock"] == 2 }
        XCTAssertTrue(exposition().contains(#"invariant_violations{invariant="t3_negative_stock"} 2"#))
    }

    private func waitFor(_ condition: () -> Bool, file: StaticString = #filePath, line: UInt = #line) async throws {
        for _ in 0..<200 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        XCTFail("condition not met within 5 s", file: file, line: line)
    }
}
