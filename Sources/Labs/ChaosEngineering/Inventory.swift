import LabKit

/// An inventory replica: GET /stock/{id} answers a stock count after WORK_MS of work. Nothing in it
/// is resilient or fragile; the experiment hangs one replica with SIGSTOP (the process is frozen:
/// its socket accepts connections into the backlog, and nothing answers until SIGCONT).
enum Inventory {
    static let workKnob = Knob.milliseconds("WORK_MS", default: 5, in: 0...10_000, "work per stock lookup")
    static let knobs: [any LabKnob] = [workKnob]

    static func build(_ service: LabService) async throws {
        let work = try service.knobs.read(workKnob)
        service.router.get(RouterPath("/stock/:id")) { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            try await Task.sleep(for: work)
            return .json(["id": .string(id), "stock": .number(Double(StableHash.hash64(id) % 100))])
        }
    }
}
