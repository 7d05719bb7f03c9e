import HTTPTypes
import LabKit

/// KEY IDEA: a server that accepts more work than it can do does not get slower, it stops being
/// useful. Under a 2x overload an unbounded FIFO queue grows every second; soon every request waits
/// longer than its client will, so the workers spend all their time on answers nobody reads (goodput
/// near 0 while the CPU is 100 % busy), and the backlog outlives the overload. A server that sheds
/// keeps the queue short (a bound, and CoDel's queue timeout once a queue stands), serves the newest
/// request first (its client is still waiting), and decides who is shed by priority: the requests it
/// admits are served fast, and it turns the rest away in microseconds.
enum SheddingWorker {
    static func build(_ service: LabService) async throws {
        let settings = try SheddingQueueSettings(service.knobs)
        // The waits of an unbounded queue grow far past the default 10 s top bucket.
        for metric in ["worker_pool_queue_wait_seconds", "http_server_request_duration_seconds"] {
            service.telemetry.registry.configureBuckets(forMetric: metric, LatencyBuckets.wide)
        }
        let pool = WorkerPool(name: "worker", configuration: settings.pool)
        let busyTime = WorkerBusyTime()

        service.router.get("/work/:id") { request, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            let priority = request.headers[HTTPField.Name("x-priority")!].flatMap { RequestPriority(label: $0) } ?? .normal
            do {
                return try await pool.execute(priority: priority) { permit in
                    // The work: holding one of the WORKERS slots for WORK_MS.
                    try await busyTime.measure { try await Task.sleep(for: settings.work) }
                    return .json([
                        "id": .string(id), "priority": .string("\(priority)"), "queued_ms": .number(permit.queued / .milliseconds(1)),
                    ])
                }
            } catch let rejected as WorkerPoolRejectedError {
                // Shed: cheap, immediate, and honest about why.
                return .jsonError("\(rejected)", status: .serviceUnavailable)
            }
        }
    }
}
