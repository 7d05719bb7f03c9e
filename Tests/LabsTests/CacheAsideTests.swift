import XCTest

/// Week 8: runs `labctl compare cache-aside` natively (before, after and ttl-only; real Redis, PostgreSQL
/// and Prometheus) and requires every expectation of labs/08-cache-aside/lab.yaml to hold.
final class CacheAsideTests: XCTestCase {
    func testCacheAsideAbsorbsHotReadsAndNeverServesRowsOlderThanTheTTL() throws {
        // 0.5: an 18 s scenario per variant (10 s warmup, 8 s steady) at 150 requests/s; the TTLs
        // (30 s, 4 s in ttl-only) are not scaled.
        let result = try LabCompare.assertLabHolds("cache-aside", durationScale: 0.5)

        // Beyond the manifest: the load really reached the database in `before` (it is the baseline the
        // ratio is taken against), and without invalidation updates really produced stale reads.
        let beforeQueries = try XCTUnwrap(result.value("db_queries_per_second", "before"))
        XCTAssertGreaterThan(beforeQueries, 120, "150 requests/s without a cache: every read is a query")
        let ttlOnlyStale = try XCTUnwrap(result.value("stale_reads", "ttl-only"))
        XCTAssertGreaterThan(ttlOnlyStale, 10, "updated hot products must be served stale until their 4 s TTL ends")
    }
}
