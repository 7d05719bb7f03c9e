import Foundation
import LabControl
import LabKit
import XCTest

@testable import Labs

/// Week 11: the client's arithmetic, and each algorithm's script against a real `redis-server`.
final class RateLimitingStatisticsTests: XCTestCase {
    func testMostInAnyWindowCountsAHalfOpenStretch() {
        XCTAssertEqual(AdmissionStatistics.mostInAnyWindow([], window: 1_000), 0)
        // (t - 1000, t]: 0 and 1000 are a whole window apart, never in one stretch together.
        XCTAssertEqual(AdmissionStatistics.mostInAnyWindow([0, 1_000], window: 1_000), 1)
        XCTAssertEqual(AdmissionStatistics.mostInAnyWindow([0, 999], window: 1_000), 2)
        // A fixed window's edge: 3 just before 10,000 and 3 just after, all within one window.
        let edge = [9_500, 9_600, 9_700, 10_000, 10_100, 10_200]
        XCTAssertEqual(AdmissionStatistics.mostInAnyWindow(edge, window: 10_000), 6)
        XCTAssertEqual(AdmissionStatistics.mostInAnyWindow(edge.shuffled(), window: 500), 3)
    }

    func testAnEvenStreamHasAPeakRateOfOne() {
        let even = (0..<20).map { $0 * 100_000 } // one every 100 ms
        XCTAssertEqual(AdmissionStatistics.peakRateRatio(even, window: 500_000, ratePerSecond: 10), 1, accuracy: 1e-9)
        let burst = (0..<20).map { $0 * 10_000 } // one every 10 ms
        XCTAssertEqual(AdmissionStatistics.peakRateRatio(burst, window: 500_000, ratePerSecond: 10), 4, accuracy: 1e-9)
    }

    func testNextEdgeAndMedian() {
        XCTAssertEqual(AdmissionStatistics.nextEdge(atOrAfter: 4_000, window: 2_000), 4_000)
        XCTAssertEqual(AdmissionStatistics.nextEdge(atOrAfter: 4_001, window: 2_000), 6_000)
        XCTAssertNil(AdmissionStatistics.median([]))
        XCTAssertEqual(AdmissionStatistics.median([3, 1, 2]), 2)
        XCTAssertEqual(AdmissionStatistics.median([4, 1, 2, 3]), 2.5)
    }

    func testARoundCountsEveryAnswerOnce() {
        let limits = ReportedLimits(limit: 2, windowMicros: 1_000_000, tokenBurst: 1, leakyQueue: 2, intervalMicros: 500_000)
        let answers = [
            BurstAnswer(target: "fixed-window", admitted: true, decidedAtMicros: 9_900_000, seconds: 0.01, scheduledMicros: 9_800_000),
            BurstAnswer(target: "fixed-window", admitted: true, decidedAtMicros: 9_950_000, seconds: 0.01, scheduledMicros: 9_800_000),
            BurstAnswer(target: "fixed-window", admitted: false, decidedAtMicros: 9_960_000, seconds: 0.01, scheduledMicros: 9_800_000),
            BurstAnswer(target: "fixed-window", admitted: true, decidedAtMicros: 10_000_000, seconds: 0.02, scheduledMicros: 9_800_000),
            BurstAnswer(target: "fixed-window", admitted: true, decidedAtMicros: 10_050_000, seconds: 0.03, scheduledMicros: 9_800_000),
            BurstAnswer(target: "fixed-window", admitted: nil, decidedAtMicros: nil, seconds: 5, scheduledMicros: 9_800_000),
        ]
        let result = TargetRoundResult(answers: answers, edgeMicros: 10_000_000, limits: limits, peakWindowMicros: 500_000)
        XCTAssertEqual([result.sent, result.admitted, result.refused, result.failed], [6, 4, 1, 1])
        XCTAssertEqual(result.worstWindow, 4)
        XCTAssertEqual([result.decidedBeforeEdge, result.decidedAfterEdge], [3, 2])
        XCTAssertEqual(result.longestAdmittedWait, 0.03, accuracy: 1e-9)
        XCTAssertEqual(result.longestDecisionLag, 250_000, "decided at 10.05 s, planned for 9.8 s")
        let round = BurstRoundResult(round: 1, edgeMicros: 10_000_000, targets: ["fixed-window": result])
        XCTAssertTrue(round.straddled(limit: 2))
        XCTAssertFalse(round.straddled(limit: 3))
    }
}

final class RateLimitingScriptTests: XCTestCase {
    private var server: RedisServer!
    private var scratch: URL!
    private var redis: RedisClient!

    override func setUp() async throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ratelimit-test-\(UUID().uuidString)")
        server = try await RedisServer.start(directory: scratch)
        redis = try RedisClient(url: server.url, poolSize: 8)
    }

    override func tearDown() async throws {
        await redis?.shutdown()
        await server?.stop()
        try? FileManager.default.removeItem(at: scratch)
    }

    private func limiter(_ algorithm: RateLimitAlgorithm, _ settings: RateLimitSettings) -> ScriptedRateLimit {
        ScriptedRateLimit(algorithm: algorithm, settings: settings, redis: redis)
    }

    /// Waits until Redis's clock is at least `margin` away from the next edge of `window`.
    private func awayFromAnEdge(window: Duration, margin: Duration = .seconds(2)) async throws {
        let now = try await redis.serverTime().wholeMicroseconds
        let toEdge = AdmissionStatistics.nextEdge(atOrAfter: now, window: window.wholeMicroseconds) - now
        if toEdge < margin.wholeMicroseconds { try await Task.sleep(for: .microseconds(toEdge + 50_000)) }
    }

    private func admitted(_ limiter: ScriptedRateLimit, key: String, times: Int) async throws -> [RateLimitDecision] {
        var decisions: [RateLimitDecision] = []
        for index in 0..<times { decisions.append(try await limiter.check(key, requestID: "\(key)-\(index)")) }
        return decisions
    }

    func testFixedWindowAdmitsTheLimitPerWindow() async throws {
        let settings = RateLimitSettings(limit: 5, window: .seconds(60), tokenBurst: 1, leakyQueue: 1)
        try await awayFromAnEdge(window: settings.window)
        let decisions = try await admitted(limiter(.fixedWindow, settings), key: "a", times: 8)
        XCTAssertEqual(decisions.map(\.admitted), [true, true, true, true, true, false, false, false])
        XCTAssertEqual(decisions.last?.detail["window_count"]?.intValue, 8)
        let other = try await admitted(limiter(.fixedWindow, settings), key: "b", times: 1)
        XCTAssertEqual(other.map(\.admitted), [true], "each client has its own counter")
    }

    func testSlidingLogAdmitsTheLimitInAnyWindow() async throws {
        let settings = RateLimitSettings(limit: 3, window: .milliseconds(800), tokenBurst: 1, leakyQueue: 1)
        let log = limiter(.slidingLog, settings)
        var decisions = try await admitted(log, key: "a", times: 5)
        XCTAssertEqual(decisions.map(\.admitted), [true, true, true, false, false])
        try await Task.sleep(for: .milliseconds(900))
        decisions += try await admitted(log, key: "a", times: 4)
        XCTAssertEqual(decisions.suffix(4).map(\.admitted), [true, true, true, false], "the first three have left the window")
        let times = decisions.filter(\.admitted).map(\.decidedAtMicros)
        XCTAssertEqual(AdmissionStatistics.mostInAnyWindow(times, window: settings.windowMicros), 3)
    }

    func testSlidingWindowCounterStopsAtTheLimit() async throws {
        let settings = RateLimitSettings(limit: 4, window: .seconds(60), tokenBurst: 1, leakyQueue: 1)
        try await awayFromAnEdge(window: settings.window)
        let decisions = try await admitted(limiter(.slidingWindowCounter, settings), key: "a", times: 6)
        XCTAssertEqual(decisions.map(\.admitted), [true, true, true, true, false, false])
    }

    func testTokenBucketAllowsItsBurstThenTheRate() async throws {
        // One token every 10 s: nothing refills during the test.
        let settings = RateLimitSettings(limit: 1, window: .seconds(10), tokenBurst: 3, leakyQueue: 1)
        let decisions = try await admitted(limiter(.tokenBucket, settings), key: "a", times: 5)
        XCTAssertEqual(decisions.map(\.admitted), [true, true, true, false, false])
        XCTAssertLessThan(decisions[2].detail["tokens_left_x1000"]?.intValue ?? 9_999, 10, "the third took the last token")
    }

    func testLeakyBucketQueuesAndReleasesAtTheRate() async throws {
        // 5 per second: one released every 200 ms; 3 wait at most.
        let settings = RateLimitSettings(limit: 5, window: .seconds(1), tokenBurst: 1, leakyQueue: 3)
        let queue = LeakyBucketQueue(redis: redis, capacity: 3, intervalMicros: settings.intervalMicros, metrics: LeakyBucketMetrics())
        let decisions = try await withThrowingTaskGroup(of: RateLimitDecision.self) { group in
            for index in 0..<8 { group.addTask { try await queue.check("a", requestID: "r\(index)") } }
            var decisions: [RateLimitDecision] = []
            for try await decision in group { decisions.append(decision) }
            return decisions
        }
        let released = decisions.filter(\.admitted).map(\.decidedAtMicros).sorted()
        XCTAssertEqual(decisions.count, 8)
        XCTAssertTrue(
            (3...5).contains(released.count), "3 queued, and one or two more if the first left before the others came: \(released.count)")
        for (earlier, later) in zip(released, released.dropFirst()) {
            XCTAssertGreaterThanOrEqual(later - earlier, settings.intervalMicros, "never two releases closer than the interval")
        }
        let waits = decisions.filter(\.admitted).compactMap { $0.detail["waited_seconds"]?.doubleValue }.sorted()
        XCTAssertGreaterThanOrEqual(waits.last ?? 0, 0.35, "the last one waited for those ahead of it")
    }
}
