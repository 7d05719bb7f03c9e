import Foundation
import XCTest

@testable import LabControl

/// Not a test: `Benchmarks/rabbitmq-startup/run.sh` runs it (RABBITMQ_STARTUP_BENCHMARK=<rounds>)
/// to measure what a node's start costs, booting on a fresh database versus from the copied
/// template, in wall time and in CPU time of the node's processes (the part that does not depend
/// on how busy the machine is). Skipped in ordinary test runs.
final class RabbitMQStartupBenchmark: XCTestCase {
    func testStartupCost() async throws {
        guard let text = ProcessInfo.processInfo.environment["RABBITMQ_STARTUP_BENCHMARK"], let rounds = Int(text) else {
            throw XCTSkip("set RABBITMQ_STARTUP_BENCHMARK=<rounds> (Benchmarks/rabbitmq-startup/run.sh)")
        }
        let dir = try TestDirectory()
        defer { dir.remove() }
        let template = RabbitMQNodeTemplate(cache: dir.url.appendingPathComponent("cache"))
        _ = try await template.copy(to: dir.url.appendingPathComponent("warm-up"), locator: .standard) // made once, not timed
        var rows: [String] = []
        for round in 1...rounds {
            for (mode, template) in [("fresh database", nil), ("copied template", template)] as [(String, RabbitMQNodeTemplate?)] {
                let node = try await RabbitMQServer.start(directory: dir.url.appendingPathComponent("node"), template: template)
                let cpu = Self.cpuSeconds(ofGroup: node.process.pgid)
                let stopStart = ContinuousClock.now
                await node.stop()
                let stop = (ContinuousClock.now - stopStart).seconds
                rows.append(
                    String(
                        format: "| %d | %@ | %.1f | %.2f | %.1f | %@ |", round, mode, node.startup.seconds, cpu, stop,
                        Self.loadAverage()))
            }
        }
        print(
            """

            | round | data directory | start, wall s | start, CPU s (node's processes) | stop, wall s | load average |
            |---|---|---|---|---|---|
            \(rows.joined(separator: "\n"))

            """)
    }

    /// utime + stime of every process in the group (the script, the Erlang VM, its helpers), with
    /// their children that have ended (cutime + cstime: the short-lived epmd-starter VM).
    static func cpuSeconds(ofGroup group: Int32) -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessTable.members(ofGroup: group).reduce(0) { total, member in
            guard let stat = try? String(contentsOfFile: "/proc/\(member.pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return total }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // Fields after "(comm)": state is index 0, utime 11, stime 12, cutime 13, cstime 14.
            guard fields.count > 14 else { return total }
            return total + fields[11...14].compactMap { Double($0) }.reduce(0, +) / ticks
        }
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
    }
}
