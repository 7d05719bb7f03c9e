import LabKit

/// The slow dependency: each answer takes WORK_MS of work (a sleep standing in for a database read).
enum SlowBackend {
    static let workKnob = Knob.milliseconds("WORK_MS", default: 40, in: 0...60_000, "how long the backend works on each request")

    static func build(_ service: LabService) async throws {
        let work = try service.knobs.read(workKnob)
        service.router.get("/work/:id") { _, request -> JSONValue in
            let id = request.parameters.get("id") ?? "0"
            try await Task.sleep(for: work)
            return ["id": .string(id), "value": .number(Double(id.count))]
        }
    }
}
