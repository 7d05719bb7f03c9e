import XCTest

@testable import Telemetry

#if canImport(Glibc)
import Glibc
#endif

/// The process_* values, checked against independent readings of the same facts.
final class ProcessMetricsTests: XCTestCase {
    private func values() -> [String: Double] {
        var out: [String: Double] = [:]
        for family in ProcessMetrics.collect() {
            switch family.series.first?.value {
            case .counter(let v)?: out[family.name + "_total"] = v
            case .gauge(let v)?: out[family.name] = v
            default: break
            }
        }
        return out
    }

    /// A `Key:   value kB`-style field of /proc/self/status.
    private func statusKilobytes(_ key: String) throws -> Double {
        let text = try XCTUnwrap(ProcessMetrics.readProcFile("/proc/self/status"))
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(key + ":") })
        return try XCTUnwrap(Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? ""))
    }

    func testEveryProcessMetricIsPresent() {
        XCTAssertEqual(
            Set(values().keys),
            [
                "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                "process_start_time_seconds", "process_open_fds", "process_max_fds",
            ])
    }

    func testMemoryMatchesProcSelfStatus() throws {
        let v = values()
        let rss = try statusKilobytes("VmRSS") * 1024
        let vsz = try statusKilobytes("VmSize") * 1024
        // Read at slightly different moments, so allow drift; units must agree (bytes, not pages or kB).
        XCTAssertEqual(v["process_resident_memory_bytes"]!, rss, accuracy: rss * 0.25)
        XCTAssertEqual(v["process_virtual_memory_bytes"]!, vsz, accuracy: vsz * 0.25)
        XCTAssertGreaterThan(v["process_virtual_memory_bytes"]!, v["process_resident_memory_bytes"]!)
    }

    func testOpenFileDescriptorsFollowOpenAndClose() {
        let before = values()["process_open_fds"]!
        let fds = (0..<40).map { _ in open("/dev/null", O_RDONLY) }
        let during = values()["process_open_fds"]!
        fds.forEach { _ = close($0) }
        let after = values()["process_open_fds"]!
        // Other threads of the test runner may open or close a few descriptors meanwhile.
        XCTAssertEqual(during - before, 40, accuracy: 5)
        XCTAssertEqual(during - after, 40, accuracy: 5)
    }

    func testMaxFdsIsTheSoftLimitFromProcSelfLimits() throws {
        let limits = try XCTUnwrap(ProcessMetrics.readProcFile("/proc/self/limits"))
        let line = try XCTUnwrap(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let soft = line.dropFirst("Max open files".count).split(separator: " ").first!
        XCTAssertEqual(values()["process_max_fds"], soft == "unlimited" ? Double(UInt64.max) : Double(soft)!)
    }

    func testStartTimeIsRecentAndCPUTimeGrowsWithWork() {
        let v = values()
        let now = WallClock.unixSeconds()
        let start = v["process_start_time_seconds"]!
        XCTAssertLessThanOrEqual(start, now + 1)
        XCTAssertGreaterThan(start, now - 3600, "the test process started within the last hour")
        // Burn CPU for ~0.5 s of wall time; CPU time must grow by a clearly visible amount.
        let cpuBefore = v["process_cpu_seconds_total"]!
        let deadline = now + 0.5
        var x = 0.0
        while WallClock.unixSeconds() < deadline { x += sin(x) + 1 }
        XCTAssertGreaterThan(x, 0)
        XCTAssertGreaterThan(values()["process_cpu_seconds_total"]! - cpuBefore, 0.1)
    }

    func testRegistryExportsProcessMetricsWithTypes() {
        let registry = MetricsRegistry()
        registry.registerProcessMetrics()
        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total "))
        XCTAssertTrue(text.contains("# TYPE process_resident_memory_bytes gauge\n"))
        let om = registry.render(.openMetrics)
        XCTAssertTrue(om.contains("# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total "))
    }
}
