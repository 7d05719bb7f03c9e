import XCTest

/// Week 12: runs `labctl compare thundering-herd` natively (edge + 2 api replicas, real Redis,
/// PostgreSQL and Prometheus) and requires every expectation of labs/12-thundering-herd/lab.yaml to hold.
final class ThunderingHerdTests: XCTestCase {
    func testCoalescingRecomputesOncePerExpiryAcrossReplicas() throws {
        // 0.5: a 15 s scenario per variant (3 s warmup, 12 s steady: ~5 expiries of the 2 s TTL, which
        // is not scaled) at 150 requests/s on the one hot key.
        let result = try LabCompare.assertLabHolds("thundering-herd", durationScale: 0.5)

        // Beyond the manifest: the herd in `before` is about as big as the arithmetic says (150 req/s ×
        // ~0.25 s recompute ≈ 37 requests miss per expiry), so the lab shows a real stampede, not noise.
        let beforePerExpiry = try XCTUnwrap(result.value("recomputes_per_expiry", "before"))
        XCTAssertGreaterThan(beforePerExpiry, 15, "most requests arriving during a recompute must start their own")
        let afterRecomputes = try XCTUnwrap(result.value("recomputes", "after"))
        XCTAssertGreaterThan(afterRecomputes, 0, "after must still recompute when the key expires")
    }
}
