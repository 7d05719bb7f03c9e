import XCTest

/// Week 3: runs `labctl compare write-through-cache` natively with all three variants (cache-aside,
/// blind write-through, versioned write-through) against real Redis and PostgreSQL, and requires every
/// expectation of labs/03-write-through-cache/lab.yaml to hold, plus the shape of the race itself.
final class WriteThroughCacheTests: XCTestCase {
    func testVersionedWriteThroughServesNoReadOlderThanAnAcknowledgedWrite() throws {
        let result = try LabCompare.assertLabHolds("write-through-cache", durationScale: 0.8)
        guard result.holds else { return }
        // The after variant's zero covers the reads the load generator sent: the checker checked them.
        // The margin is wide because increase() over a 12 s window of 1 s scrapes on a busy machine
        // reads 60-90% of the count the load generator reports (90% over the full-length 15 s window).
        let sent = try XCTUnwrap(result.value("reads_sent", "after"))
        let checked = try XCTUnwrap(result.value("checked_reads", "after"))
        XCTAssertGreaterThan(checked, sent * 0.5, "the checker should have checked the reads the load generator sent")
        // Blind variants never refuse anything: their races end up in the cache instead.
        XCTAssertEqual(try XCTUnwrap(result.value("fills_refused", "before")), 0)
        XCTAssertEqual(try XCTUnwrap(result.value("fills_refused", "write-through")), 0)
        // The stale reads are served from the cache, never from PostgreSQL.
        XCTAssertGreaterThan(try XCTUnwrap(result.value("stale_read_ratio", "before")), 0.02)
        XCTAssertEqual(try XCTUnwrap(result.value("stale_reads_from_db", "write-through")), 0)
    }
}
