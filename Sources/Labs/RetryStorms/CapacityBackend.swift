import LabKit

/// The shared dependency with a hard capacity: `BACKEND_WORKERS` slots, each held for `BACKEND_WORK_MS`
/// (a sleep, so the bound does not depend on CPU speed;
/// the `work_ms` config knob overrides it at run time), and a FIFO wait queue of `BACKEND_QUEUE`.
/// A request that finds the queue full gets 503 at once.
///
/// Like most servers it does not notice that a caller gave up: a request that waited in the queue
/// longer than its caller's timeout is still served, and that slot time is wasted. Under overload the
/// queue is always full, every request waits longer than the callers' timeouts, so every request
/// fails, is retried, and keeps the queue full: the overload sustains itself after its cause is gone.
enum CapacityBackend {
    static let workersKnob = Knob.wholeNumber("BACKEND_WORKERS", default: 4, in: 1...1_000, "requests the backend serves at once")
    static let workTimeKnob = Knob.milliseconds(
        "BACKEND_WORK_MS", default: 25, in: 0...60_000, "how long one request holds its slot (`work_ms` in PUT /admin/config overrides it)")
    static let queueKnob = Knob.wholeNumber(
        "BACKEND_QUEUE", default: 32, in: 0..., "requests waiting for a slot, at most; beyond: 503 at once")
    static let knobs: [any LabKnob] = [workersKnob, workTimeKnob, queueKnob]

    static func build(_ service: LabService) async throws {
        let workers = try service.knobs.read(workersKnob)
        let normalWorkMs = Int(try service.knobs.read(workTimeKnob) / .milliseconds(1))
        let config = service.context.config
        let queue = try service.knobs.read(queueKnob)
        let slots = Bulkhead(
            name: "backend",
            configuration: .init(maxConcurrentCalls: workers, maxWaitDuration: .seconds(60), maxQueueLength: queue),
            clock: ContinuousClock())

        service.router.get("/work/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            // An unstructured task: the work goes on even if the caller hangs up (see above).
            let served = Task { () -> Bool in
                do {
                    try await slots.execute {
                        // The fault: the scenario sets `work_ms` (PUT /admin/config) to make every request
                        // hold its slot longer (a slow disk, a cold cache), so the real capacity drops for a
                        // while. Read when the work STARTS, not when the request arrived: once the cache is
                        // warm again, the requests still in the queue are served at the normal speed.
                        let workTime = Duration.milliseconds(config.int("work_ms", default: normalWorkMs) ?? normalWorkMs)
                        try await Task.sleep(for: workTime)
                    }
                    return true
                } catch {
                    return false // BulkheadFullError: the queue is full
                }
            }
            guard await served.value else {
                return .jsonError("backend overloaded: \(workers) workers busy and \(queue) waiting", status: .serviceUnavailable)
            }
            return .json(["id": .string(id), "served_by": "backend"])
        }
    }
}
