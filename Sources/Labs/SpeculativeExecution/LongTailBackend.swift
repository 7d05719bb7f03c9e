import LabKit
import Synchronization

/// A backend replica with a long tail. Each request waits for one of BACKEND_WORKERS workers (FIFO)
/// and holds it for WORK_MS ± WORK_JITTER_MS; STALL_SHARE of the requests first stall for STALL_MS on
/// something slow that does not hold a worker (a read from cold storage). Like most servers it cannot
/// take back work it has accepted: a request whose caller hangs up (a cancelled hedge) still waits
/// for its worker and is worked on (`CANCEL_ABANDONED=on` drops it instead — an exercise).
enum LongTailBackend {
    static let workersKnob = Knob.wholeNumber("BACKEND_WORKERS", default: 1, in: 1...1_000, "requests one replica works on at once")
    static let workKnob = Knob.milliseconds("WORK_MS", default: 50, in: 1...60_000, "a worker's time per request (the mean)")
    static let jitterKnob = Knob.milliseconds("WORK_JITTER_MS", default: 25, in: 0...60_000, "work varies uniformly by ± this much")
    static let stallShareKnob = Knob.number(
        "STALL_SHARE", default: 0.03, in: 0...1, "share of requests that stall first, every 1/STALL_SHARE-th (the long tail)")
    static let stallKnob = Knob.milliseconds("STALL_MS", default: 1_000, in: 0...600_000, "how long a stall lasts (no worker is held)")
    static let cancelKnob = Knob.flag("CANCEL_ABANDONED", default: false, "drop a request (queued or working) when its caller hangs up")
    static let knobs: [any LabKnob] = [workersKnob, workKnob, jitterKnob, stallShareKnob, stallKnob, cancelKnob]

    static func build(_ service: LabService) async throws {
        let work = try service.knobs.read(workKnob)
        let jitter = try service.knobs.read(jitterKnob)
        let stallShare = try service.knobs.read(stallShareKnob)
        let stall = try service.knobs.read(stallKnob)
        let cancelAbandoned = try service.knobs.read(cancelKnob)
        guard jitter <= work else { throw LabStartupError("WORK_JITTER_MS must not exceed WORK_MS") }
        let pool = WorkerPool(name: "backend", configuration: .init(workers: try service.knobs.read(workersKnob)))
        let busy = FloatingPointCounter(label: "backend_work_seconds_total")
        let stalls = Counter(label: "backend_stalls_total")
        // Spread evenly (every 1/STALL_SHARE-th request) rather than drawn at random, so that even a
        // short run sees exactly its share of stalls and a p99 that rests on a few requests is stable.
        let served = Atomic<Int>(0)
        busy.increment(by: 0)
        stalls.increment(by: 0)

        service.router.get("/item/:id") { request, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            @Sendable func serve() async throws -> Response {
                let n = Double(served.wrappingAdd(1, ordering: .relaxed).oldValue)
                let stalled = ((n + 1) * stallShare).rounded(.down) > (n * stallShare).rounded(.down)
                if stalled {
                    stalls.increment()
                    try await Task.sleep(for: stall)
                }
                return try await pool.execute { permit in
                    let spent = work + jitter * Double.random(in: -1...1)
                    let start = ContinuousClock.now
                    defer { busy.increment(by: (ContinuousClock.now - start) / .seconds(1)) }
                    try await Task.sleep(for: spent)
                    return .json(["id": .string(id), "stalled": .bool(stalled), "queued_ms": .number(permit.queued / .milliseconds(1))])
                }
            }
            return cancelAbandoned ? try await request.cancellingOnClientDisconnect(serve) : try await serve()
        }
    }
}
