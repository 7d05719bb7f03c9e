import Hummingbird
import Logging

/// The proxy's HTTP control API (Toxiproxy-like), on its own port:
///
///     GET    /proxy               state: listen/upstream addresses, enabled, active connections, toxics
///     POST   /proxy/down          refuse new connections, cut open ones
///     POST   /proxy/up            listen again
///     GET    /toxics              the installed toxics
///     POST   /toxics              {"name","type","stream","toxicity","attributes"} → 201; 400 names the field
///     GET    /toxics/{name}
///     DELETE /toxics/{name}       204, or 404
///     DELETE /toxics              remove all (reset)
///     GET    /metrics             Prometheus exposition (not guarded, for scrapers)
///
/// The control routes answer loopback callers only, or, when a token is configured
/// (LAB_ADMIN_TOKEN), callers presenting `Authorization: Bearer <token>`; anyone else gets 403.
/// This is the same guard as every lab service's /admin API.
public enum FaultProxyAdmin {
    public static func router(
        for proxy: FaultProxy, token: String?, telemetry: LabTelemetry? = nil
    ) -> Router<LabRequestContext> {
        let router = Router(context: LabRequestContext.self)
        if let telemetry {
            router.get("metrics") { request, _ in
                let exposition = telemetry.exposition(accept: request.headers[.accept])
                return Response(
                    status: .ok, headers: [.contentType: exposition.contentType],
                    body: .init(byteBuffer: ByteBuffer(string: exposition.body)))
            }
        }
        let control = router.group().add(middleware: AdminGuard(token: token))

        control.get("proxy") { _, _ in Response.json(state(of: proxy)) }
        control.post("proxy/down") { _, _ in
            await proxy.disable()
            return Response.json(state(of: proxy))
        }
        control.post("proxy/up") { _, _ in
            do {
                try await proxy.enable()
            } catch {
                return Response.jsonError("\(error)", status: .internalServerError)
            }
            return Response.json(state(of: proxy))
        }

        control.get("toxics") { _, _ in Response.json(.array(proxy.toxics.map(\.json))) }
        control.post("toxics") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let toxic: Toxic
            do throws(ToxicValidationError) {
                toxic = try Toxic(json: body.readableBytesView)
            } catch {
                return Response.json(["error": .string(error.description), "field": .string(error.field)], status: .badRequest)
            }
            do throws(FaultProxyError) {
                try proxy.addToxic(toxic)
            } catch {
                return Response.json(["error": .string(error.description), "field": "name"], status: .conflict)
            }
            return Response.json(toxic.json, status: .created)
        }
        control.get("toxics/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let toxic = proxy.toxics.first(where: { $0.name == name }) else {
                return Response.jsonError("no toxic named '\(name)'", status: .notFound)
            }
            return Response.json(toxic.json)
        }
        control.delete("toxics/:name") { _, context in
            let name = try context.parameters.require("name")
            guard proxy.removeToxic(named: name) else {
                return Response.jsonError("no toxic named '\(name)'", status: .notFound)
            }
            return Response(status: .noContent)
        }
        control.delete("toxics") { _, _ in
            proxy.removeAllToxics()
            return Response(status: .noContent)
        }
        return router
    }

    /// The control API as a runnable Hummingbird application (a `Service`).
    public static func application(
        for proxy: FaultProxy, host: String, port: Int, token: String?, telemetry: LabTelemetry? = nil,
        logger: Logger = Logger(label: "proxy-admin"),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(for: proxy, token: token, telemetry: telemetry),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "labsvc-proxy"),
            onServerRunning: onServerRunning,
            logger: logger)
    }

    static func state(of proxy: FaultProxy) -> JSONValue {
        [
            "name": .string(proxy.name),
            "listen": .string("\(proxy.listenHost):\(proxy.listenPort)"),
            "upstream": .string("\(proxy.upstreamHost):\(proxy.upstreamPort)"),
            "enabled": .bool(proxy.isEnabled),
            "active_connections": .number(Double(proxy.activeConnections)),
            "toxics": .array(proxy.toxics.map(\.json)),
        ]
    }
}
