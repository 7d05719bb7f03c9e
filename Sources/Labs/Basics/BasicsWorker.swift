import LabKit

/// The worker: "processing" is a sleep, so the 2 s do not depend on how fast the machine is.
extension BasicsLab {
    enum Worker {
        static func build(_ service: LabService) async throws {
            let work = Duration.milliseconds(try service.context.integer("WORK_MS", default: 2000))
            service.router.get("/work") { _, _ -> JSONValue in
                try await withSpan("simulated work") { _ in try await Task.sleep(for: work) }
                return ["status": "done"]
            }
        }
    }
}
