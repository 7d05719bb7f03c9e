import LabKit

/// The deep dependencies: each answers after `WORK_MS` (a sleep, so it does not depend on CPU speed).
/// The incident is the admin latency fault on `payments` (`PUT /admin/faults`), so its slowness is real:
/// every call to it really takes seconds, and whoever waits for it really holds a slot meanwhile.
enum Leaf {
    static let workKnob = Knob.milliseconds("WORK_MS", default: 5, in: 0...60_000, "how long one answer takes (a sleep)")
    static let knobs: [any LabKnob] = [workKnob]

    static func buildPayments(_ service: LabService) async throws {
        try serve(service, route: "/pay/:id", answer: "authorised")
    }

    static func buildCatalog(_ service: LabService) async throws {
        try serve(service, route: "/items/:id", answer: "in stock")
    }

    private static func serve(_ service: LabService, route: String, answer: String) throws {
        let work = try service.knobs.read(workKnob)
        let name = service.context.serviceName
        service.router.get(RouterPath(route)) { _, context -> JSONValue in
            try await Task.sleep(for: work)
            return ["id": .string(context.parameters.get("id") ?? "0"), "status": .string(answer), "served_by": .string(name)]
        }
    }
}
