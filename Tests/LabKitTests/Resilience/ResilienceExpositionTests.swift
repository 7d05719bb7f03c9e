// Only in the real package: the scratch package used for fast iteration has no Telemetry module.
#if canImport(Telemetry)
import Foundation
import Telemetry
import XCTest
@testable import LabKit

/// The resilience metrics as Prometheus actually sees them: through the project's own metrics backend,
/// rendered as text 0.0.4, and linted by the real `promtool check metrics`.
final class ResilienceExpositionTests: XCTestCase {
    func testPatternMetricsRenderAndPassPromtool() async throws {
        let registry = MetricsRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let clock = ManualClock()

        let breaker = CircuitBreaker(
            name: "payments",
            configuration: CircuitBreakerConfiguration(slidingWindow: .countBased(size: 2), minimumNumberOfCalls: 2),
            clock: clock, metricsFactory: factory)
        for _ in 1...2 { breaker.recordFailure(try breaker.acquirePermission()) }
        XCTAssertThrowsError(try breaker.acquirePermission())

        let retrier = Retrier(
            name: "payments", policy: RetryPolicy(maxAttempts: 2, backoff: Backoff(jitter: .none)),
            budget: RetryBudget(name: "payments", metricsFactory: factory), clock: clock, metricsFactory: factory)
        let call = Task { try await retrier.execute { attempt in attempt } }
        _ = try await boundedValue(call)

        let bulkhead = Bulkhead(
            name: "db", configuration: .init(maxConcurrentCalls: 1), clock: clock, metricsFactory: factory)
        let permit = try await bulkhead.acquire()
        do { _ = try await bulkhead.acquire() } catch {}
        bulkhead.release(permit)

        let limiter = GCRARateLimiter(name: "api", permitsPerPeriod: 1, clock: clock, metricsFactory: factory)
        _ = limiter.tryAcquire()
        _ = limiter.tryAcquire()
        let adaptive = AdaptiveConcurrencyLimiter(name: "api", clock: clock, metricsFactory: factory)
        adaptive.onSuccess(try XCTUnwrap(adaptive.tryAcquire()))
        _ = try await withTimeout(.seconds(1), clock: clock, name: "api", metricsFactory: factory) { 1 }
        let hedger = Hedger(
            name: "search", policy: HedgingPolicy(hedgeDelay: .seconds(1)), clock: clock, metricsFactory: factory)
        _ = try await hedger.execute { $0 }

        let text = registry.render(.prometheusText)
        for line in [
            #"circuit_breaker_state{name="payments"} 1"#,
            #"circuit_breaker_transitions_total{from="closed",name="payments",to="open"} 1"#,
            #"circuit_breaker_calls_total{name="payments",outcome="rejected"} 1"#,
            #"retry_attempts_total{attempt_kind="first",name="payments"} 1"#,
            #"retry_budget_tokens{name="payments"} 10"#,
            #"bulkhead_rejected_total{name="db",reason="queue_full"} 1"#,
            #"bulkhead_in_use{name="db"} 0"#,
            #"rate_limiter_requests_total{algorithm="gcra",name="api",outcome="rejected"} 1"#,
            #"adaptive_concurrency_limit{name="api"} 20"#,
            #"hedging_wins_total{attempt_kind="first",name="search"} 1"#,
        ] {
            XCTAssertTrue(normalizedLines(text).contains(line), "missing \(line) in:\n\(text)")
        }
        try assertPromtoolAccepts(text)
    }

    /// Each sample line with its labels sorted, so the check does not depend on label order.
    private func normalizedLines(_ text: String) -> Set<String> {
        Set(
            text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line -> String in
                guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { return String(line) }
                let labels = line[line.index(after: open)..<close].split(separator: ",").sorted().joined(separator: ",")
                return "\(line[..<open]){\(labels)}\(line[line.index(after: close)...])"
            })
    }

    private func assertPromtoolAccepts(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard
            let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile)
        else {
            throw XCTSkip("promtool is not installed (Debian package: prometheus)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "promtool check metrics:\n\(report)\n\(text)", file: file, line: line)
    }
}
#endif
