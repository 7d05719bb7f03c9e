import LabKit

/// The worker: "processing" is a sleep, so the 2 s do not depend on how fast the machine is.
extension BasicsLab {
    enum Worker {
        static let workKnob = Knob.milliseconds("WORK_MS", default: 2_000, in: 0...600_000, "how long one GET /work takes (a sleep)")
        static let knobs: [any LabKnob] = [workKnob]

        static func build(_ service: LabService) async throws {
            let work = try service.knobs.read(workKnob)
            service.router.get("/work") { _, _ -> JSONValue in
                try await withSpan("simulated work") { _ in try await Task.sleep(for: work) }
                return ["status": "done"]
            }
        }
    }
}
