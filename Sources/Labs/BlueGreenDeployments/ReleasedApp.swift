import LabKit

/// KEY IDEA: a version can only be swapped without dropping a request if two things hold. The
/// service says when it can serve (`/readyz`, which the balancer's health checks read), and on
/// SIGTERM it stops taking new connections and finishes the requests it holds (LabService drains
/// on SIGTERM). Given that, blue-green is a procedure: start green next to blue, wait until the
/// balancer sees green healthy, switch, let blue's in-flight requests finish, and keep blue for an
/// instant rollback. Stopping blue first and then starting green (a "recreate" deploy) leaves a gap
/// in which no version answers: every request of that gap fails, however fast green starts.
enum ReleasedApp {
    static let version = Knob.string("VERSION", default: "v1", "the version this process runs (answered with every order)")
    static let work = Knob.milliseconds(
        "WORK_MS", default: 20, in: 0...10_000,
        "how long each request takes (its own downstream work, a wait): requests are in flight when a deployment stops a version")

    static let warmUpRequests = Knob.wholeNumber(
        "WARM_UP_REQUESTS", default: 0, in: 0...100_000,
        "requests the process sends itself (8 at a time) before /readyz says ready: a fresh process is slow for its first burst")

    static let knobs: [any LabKnob] = [version, work, warmUpRequests]

    static func build(_ service: LabService) async throws {
        let version = try service.knobs.read(Self.version)
        let work: Duration = try service.knobs.read(Self.work)
        let served = Counter(label: "orders_served_total", dimensions: [("version", version)])
        let warmUp = SelfWarmUp(requests: try service.knobs.read(Self.warmUpRequests)) { "/orders/warm-up-\($0)" }
        service.addReadinessCheck("warm-up") { try warmUp.requireDone() }
        let logger = service.context.logger
        service.onRunning { port in warmUp.start(port: port, logger: logger) }

        service.router.get("/orders/:id") { _, context -> JSONValue in
            let id = context.parameters.get("id") ?? "0"
            try await Task.sleep(for: work)
            served.increment()
            return ["id": .string(id), "version": .string(version), "status": "confirmed"]
        }
    }
}
