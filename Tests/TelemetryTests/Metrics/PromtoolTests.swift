import CoreMetrics
import Foundation
import Metrics
import XCTest

@testable import Telemetry

/// Our text exposition checked by an independent implementation: `promtool check metrics` (Debian package
/// `prometheus`) parses it with Prometheus' own parser and lints it (HELP present, counter suffixes, units…).
final class PromtoolTests: XCTestCase {
    /// Runs `promtool check metrics` on `exposition`; returns its exit status and combined output.
    private func promtoolCheck(_ exposition: String) throws -> (status: Int32, output: String) {
        let path = try XCTUnwrap(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
                ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/promtool" }
                .first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool not found on PATH: install the Debian package `prometheus` (make setup does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(exposition.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testEveryMetricTypeWithAwkwardNamesPassesPromtool() throws {
        let registry = MetricsRegistry(now: fixedNow)
        registry.registerProcessMetrics()
        let factory = PrometheusMetricsFactory(registry: registry)

        registry.counter(
            "cache.requests", help: "Cache lookups by \"result\" \\ with\nnewline.",
            labels: [("cache-name", "users \"prod\"\nline2 \\ τ"), ("result", "hit")]
        ).increment(by: 3)
        registry.counter("cache.requests", labels: [("cache-name", ""), ("result", "miss")]).increment()
        registry.gauge("9th.circuit-breaker state", help: "0 closed, 1 half-open, 2 open.", labels: [("__peer", "payments")]).set(2)
        registry.gauge("queue_depth", help: "Queued jobs.").set(.nan)
        let h = registry.histogram(
            "http_server_request_duration_seconds", help: "Latency.",
            labels: [("http_route", "/items/{id}"), ("le", "user label")])
        inSpan(sampledSpan) { h.observe(0.067) }
        h.observe(42)
        _ = registry.histogram("idle_wait_seconds", help: "Never observed.") // a series with all-zero buckets

        Counter(label: "hb.requests", dimensions: [("http.request.method", "GET")], factory: factory).increment()
        FloatingPointCounter(label: "bytes.sent", dimensions: [], factory: factory).increment(by: 1.5)
        Metrics.Timer(label: "http.client.request.duration", dimensions: [("server.address", "127.0.0.1")], factory: factory)
            .recordMilliseconds(250)
        Recorder(label: "payload.size.bytes", dimensions: [], factory: factory).record(512)
        Gauge(label: "pool.in_use", dimensions: [], factory: factory).record(3)
        Meter(label: "http.server.active_requests", dimensions: [], factory: factory).increment()

        let text = registry.render(.prometheusText)
        let result = try promtoolCheck(text)
        XCTAssertEqual(result.status, 0, "promtool rejected:\n\(result.output)\n--- exposition ---\n\(text)")
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), "", "promtool lint findings")
        // The check really covered every type.
        for type in ["counter", "gauge", "histogram"] { XCTAssertTrue(text.contains(" \(type)\n")) }
    }

    /// Control: the same harness reports broken input, so a pass above means something.
    func testPromtoolRejectsMalformedExposition() throws {
        XCTAssertNotEqual(try promtoolCheck("# HELP x_total x\n# TYPE x_total counter\nx_total{a=\"b} 1\n").status, 0)
        XCTAssertNotEqual(try promtoolCheck("# TYPE x_total counter\nx_total 1\n").status, 0, "missing HELP is a lint finding")
    }
}
