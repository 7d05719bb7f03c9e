import LabKit
import ServiceLifecycle

/// The release controller's HTTP face: `POST /release` starts rolling the new release out (202),
/// `GET /release` says where it is. The rollout itself is `ReleaseController`.
enum ReleaseControllerService {
    static func build(_ service: LabService) async throws {
        let settings = try ReleaseSettings(service.knobs)
        let controller = try ReleaseController(settings: settings, logger: service.context.logger)
        service.addService(CanaryMonitor(controller: controller))

        service.router.post("/release") { _, _ -> Response in
            guard controller.release() else {
                return .jsonError("a release has already started: \(controller.current.json)", status: .conflict)
            }
            return .json(["strategy": .string(settings.strategy.rawValue), "release": controller.current.json], status: .accepted)
        }
        service.router.get("/release") { _, _ in controller.current.json }
    }
}

/// Runs the controller's counter watch beside the server.
struct CanaryMonitor: Service {
    let controller: ReleaseController

    func run() async throws {
        await cancelWhenGracefulShutdown { await controller.monitor() }
    }
}
