import LabKit

/// The "database": slow and with a hard capacity, like a real one behind a cache. `DB_WORKERS`
/// queries run at once, each holding its worker for `DB_WORK_MS` (a sleep, so the capacity does not
/// depend on CPU speed); up to `DB_QUEUE` more wait in line; a query that finds the line full gets 503
/// at once. Capacity = DB_WORKERS / DB_WORK_MS (4 / 50 ms = 80 queries per second).
///
/// Metrics: LabKit's bulkhead series for `name="db"` (`bulkhead_in_use` = busy workers,
/// `bulkhead_waiting` = queued, `bulkhead_rejected_total` = the 503s) and `db_queue_wait_seconds`,
/// how long each query waited for a worker.
enum ProductDatabase {
    static let workersKnob = Knob.wholeNumber("DB_WORKERS", default: 4, in: 1...1_000, "queries the database runs at once")
    static let workTimeKnob = Knob.milliseconds("DB_WORK_MS", default: 50, in: 0...60_000, "how long one query holds its worker")
    static let queueKnob = Knob.wholeNumber("DB_QUEUE", default: 8, in: 0..., "queries waiting for a worker, at most; beyond: 503 at once")
    static let knobs: [any LabKnob] = [workersKnob, workTimeKnob, queueKnob]

    static func build(_ service: LabService) async throws {
        let workers = try service.knobs.read(workersKnob)
        let workTime = try service.knobs.read(workTimeKnob)
        let queue = try service.knobs.read(queueKnob)
        let slots = Bulkhead(
            name: "db",
            configuration: .init(maxConcurrentCalls: workers, maxWaitDuration: .seconds(60), maxQueueLength: queue),
            clock: ContinuousClock())
        let queueWait = Timer(label: "db_queue_wait")

        service.router.get("/products/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            let arrived = ContinuousClock.now
            // Like a real database, a query that started keeps its worker even if the caller gave up.
            let served = Task { () -> Bool in
                do {
                    try await slots.execute {
                        queueWait.recordNanoseconds(Int64((ContinuousClock.now - arrived) / .nanoseconds(1)))
                        try await Task.sleep(for: workTime)
                    }
                    return true
                } catch {
                    return false // BulkheadFullError: every worker busy and the queue full
                }
            }
            guard await served.value else {
                return .jsonError("database overloaded: \(workers) workers busy and \(queue) queries waiting", status: .serviceUnavailable)
            }
            return .json(ProductRecord.make(id: id))
        }
    }
}

/// A made-up product row, the same every time for an id (so a cached copy can be compared).
enum ProductRecord {
    static func make(id: String) -> JSONValue {
        let hash = id.unicodeScalars.reduce(UInt32(17)) { $0 &* 31 &+ $1.value }
        return ["id": .string(id), "name": .string("product \(id)"), "price": .number(Double(100 + hash % 9_900) / 100)]
    }
}
