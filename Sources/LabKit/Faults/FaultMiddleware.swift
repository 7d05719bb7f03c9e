import Hummingbird
import Tracing

/// Applies the active faults to lab routes (never to /healthz, /readyz, /metrics or /admin, which are
/// registered before this middleware). Order per request: hang, then latency, then error, so a
/// request can be both slow and failed. Affected requests get `fault.injected` on their server span.
struct FaultMiddleware: RouterMiddleware {
    let faults: FaultState

    func handle(
        _ request: Request, context: LabRequestContext, next: (Request, LabRequestContext) async throws -> Response
    ) async throws -> Response {
        let active = faults.current
        let route = context.endpointPath
        let path = request.uri.path
        var injected: [String] = []
        defer { if !injected.isEmpty { context.span?.attributes["fault.injected"] = injected.joined(separator: ",") } }

        if let hang = active.hang, Self.applies(hang.route, route: route, path: path), Self.roll(hang.fraction) {
            injected.append("hang")
            context.span?.attributes["fault.injected"] = "hang"
            await faults.waitWhileHung()
        }
        if let latency = active.latency, Self.applies(latency.route, route: route, path: path), Self.roll(latency.fraction) {
            injected.append("latency")
            try await Task.sleep(for: latency.delay())
        }
        if let error = active.error, Self.applies(error.route, route: route, path: path), Self.roll(error.rate) {
            injected.append("error")
            return .json(["error": .string("injected fault"), "status": .number(Double(error.status))], status: .init(code: error.status))
        }
        return try await next(request, context)
    }

    /// A fault without a route applies everywhere; with one, it matches the route pattern or the path.
    static func applies(_ faultRoute: String?, route: String?, path: String) -> Bool {
        guard let faultRoute else { return true }
        let wanted = faultRoute.hasPrefix("/") ? faultRoute : "/" + faultRoute
        return wanted == route || wanted == path
    }

    static func roll(_ probability: Double) -> Bool {
        probability >= 1 || (probability > 0 && Double.random(in: 0..<1) < probability)
    }
}
