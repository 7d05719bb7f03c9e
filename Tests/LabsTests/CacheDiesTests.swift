import XCTest

/// Week 2: runs `labctl compare cache-dies` natively (real redis-server behind LabKit's fault proxy,
/// both variants, real Prometheus) and requires every expectation of labs/02-cache-dies/lab.yaml.
final class CacheDiesTests: XCTestCase {
    func testGuardedCacheKeepsServingThroughTheOutageAndSparesTheDatabase() throws {
        // 0.4: a 26 s scenario per variant. The 12 s outage is still longer than the cache TTL (5 s,
        // not scaled) and the before variant's 8 s reconnect window, so Redis comes back cold with
        // requests waiting — the stampede this lab is about.
        let result = try LabCompare.assertLabHolds("cache-dies", durationScale: 0.4)

        // Beyond the manifest: the mechanisms are the ones the README describes.
        // Before: requests wait for the reconnect window, so the outage's p99 is seconds, not a fast 502.
        let beforeP99 = try XCTUnwrap(result.value("p99_outage", "before"))
        XCTAssertGreaterThan(beforeP99, 4, "a cache read without a breaker should wait for the 8 s reconnect window")
        // Before: no request reaches the database while the cache is down (no fallback) ...
        let beforeOutageQueries = try XCTUnwrap(result.value("db_queries_per_s_outage", "before"))
        XCTAssertLessThan(beforeOutageQueries, 5, "without a fallback the database sees (almost) nothing during the outage")
        // ... and after: the database took the reads without queueing beyond its workers.
        let afterOutageQueries = try XCTUnwrap(result.value("db_queries_per_s_outage", "after"))
        XCTAssertLessThanOrEqual(afterOutageQueries, 80, "the database cannot serve more than its capacity (4 × 50 ms)")
    }
}
