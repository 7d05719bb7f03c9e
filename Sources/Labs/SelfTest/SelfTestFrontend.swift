import LabKit

enum SelfTestFrontend {
    static func build(_ service: LabService) async throws {
        let backend = try service.context.peer("backend", timeout: .seconds(5))
        let name = service.context.serviceName

        service.router.get("/hello") { _, _ -> Response in
            do {
                let reply = try await backend.get("/work", route: "/work")
                guard reply.isSuccess else {
                    return .json(
                        ["error": .string("backend answered \(reply.status)"), "backend_status": .number(Double(reply.status))],
                        status: .badGateway)
                }
                return .json(["service": .string(name), "message": "hello", "backend": reply.json])
            } catch let error as PeerError {
                return .jsonError("\(error)", status: .badGateway)
            }
        }
    }
}
