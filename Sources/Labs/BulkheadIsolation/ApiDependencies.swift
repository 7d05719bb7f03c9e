import LabKit

/// The api's dependencies: each answers after WORK_MS. The scenario slows reports and legacy down
/// with the admin latency fault.
enum ApiDependencies {
    static let workKnob = Knob.milliseconds("WORK_MS", default: 5, in: 0...600_000, "how long this dependency works on each request")

    static func build(_ service: LabService, route: String) async throws {
        let work = try service.knobs.read(workKnob)
        service.router.get(RouterPath("/\(route)/:id")) { _, context -> JSONValue in
            if work > .zero { try await Task.sleep(for: work) }
            return ["id": .string(context.parameters.get("id") ?? "0"), "from": .string(route)]
        }
    }
}
