import LabKit

/// The backend: a fixed amount of work per request and a number of workers that the scenario changes
/// while the lab runs (a deploy that lost most of its instances, a noisy neighbour, a failover to a
/// smaller region). Requests beyond the workers wait in an unbounded FIFO queue: capacity falls, the
/// queue (and the latency) grow, and nothing here sheds. Shedding is the gateway's job in this lab.
enum ShrinkingBackend {
    static let workersKnob = Knob.wholeNumber("BACKEND_WORKERS", default: 32, in: 1...10_000, "requests the backend serves at once")
    static let workKnob = Knob.milliseconds("WORK_MS", default: 100, in: 1...60_000, "how long one request holds a worker")
    static let knobs: [any LabKnob] = [workersKnob, workKnob]

    static func build(_ service: LabService) async throws {
        let work = try service.knobs.read(workKnob)
        let logger = service.context.logger
        let pool = WorkerPool(name: "backend", configuration: .init(workers: try service.knobs.read(workersKnob)))

        service.router.get("/work/:id") { _, context -> JSONValue in
            let id = context.parameters.get("id") ?? "0"
            return try await pool.execute { permit in
                try await Task.sleep(for: work)
                return ["id": .string(id), "queued_ms": .number(permit.queued / .milliseconds(1))]
            }
        }

        // The scenario's capacity change: `{"workers": 8}`.
        service.router.put("/capacity") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 4096)
            guard let workers = (try? JSONValue.parse(body.readableBytesView))?["workers"]?.intValue, workers >= 1 else {
                return .jsonError("body: expected {\"workers\": <a whole number >= 1>}", status: .badRequest)
            }
            pool.setWorkers(workers)
            logger.info("capacity changed", metadata: ["workers": "\(workers)"])
            return .json(["workers": .number(Double(workers))])
        }
    }
}
