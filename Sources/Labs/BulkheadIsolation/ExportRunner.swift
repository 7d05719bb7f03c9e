import LabKit
import Synchronization

/// Where the blocking export client runs: inline (in the request's task, so on one of the cooperative
/// pool's threads — one per core) or on a `BlockingExecutor` of its own.
struct ExportRunner: Sendable {
    let mode: StorefrontSettings.Exports
    let executor: BlockingExecutor?
    let client: BlockingReportClient
    let inFlight: ExportsInFlight

    init(_ settings: StorefrontSettings, reportsURL: String) throws {
        mode = settings.exports
        client = try BlockingReportClient(baseURL: reportsURL, timeout: settings.reportsTimeout)
        executor = mode == .executor ? BlockingExecutor(name: "exports", threads: settings.exportThreads) : nil
        inFlight = ExportsInFlight(runsOn: mode == .executor ? "executor" : "cooperative_pool")
    }

    func export(id: Int) async throws -> BlockingReportClient.Reply {
        let client = client
        let inFlight = inFlight
        let path = "/reports/\(id)"
        if let executor {
            // The task waits for the executor's thread without holding a cooperative one.
            return try await executor.run { try inFlight.counting { try client.get(path) } }
        }
        // Blocks the thread this task runs on for the whole call.
        return try inFlight.counting { try client.get(path) }
    }
}

/// `blocking_exports_in_flight{runs_on}`: blocking calls running right now, and on which threads.
final class ExportsInFlight: Sendable {
    private let count = Mutex(0)
    private let gauge: Gauge

    init(runsOn: String) {
        gauge = Gauge(label: "blocking_exports_in_flight", dimensions: [("runs_on", runsOn)])
        gauge.record(0)
    }

    func counting<R>(_ body: () throws -> R) rethrows -> R {
        gauge.record(
            count.withLock {
                $0 += 1
                return $0
            })
        defer {
            gauge.record(
                count.withLock {
                    $0 -= 1
                    return $0
                })
        }
        return try body()
    }
}
