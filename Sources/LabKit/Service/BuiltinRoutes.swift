import Hummingbird

/// `/healthz` (the process answers), `/readyz` (its dependencies answer) and `/metrics`.
enum BuiltinRoutes {
    static func install(on router: Router<LabRequestContext>, service: LabContext, telemetry: LabTelemetry) {
        router.get("healthz") { _, _ in
            Response.json(["status": "ok", "service": .string(service.serviceName)])
        }
        router.get("readyz") { _, _ in
            let failed = await service.readiness.failures()
            guard failed.isEmpty else {
                return Response.json(
                    [
                        "status": "not ready",
                        "failed": .array(failed.keys.sorted().map { .string($0) }),
                        "errors": .object(failed.mapValues { .string($0) }),
                    ],
                    status: .serviceUnavailable
                )
            }
            return Response.json(["status": "ready", "checks": .array(service.readiness.names.map { .string($0) })])
        }
        router.get("metrics") { request, _ in
            let exposition = telemetry.exposition(accept: request.headers[.accept])
            return Response(
                status: .ok,
                headers: [.contentType: exposition.contentType],
                body: .init(byteBuffer: ByteBuffer(string: exposition.body))
            )
        }
    }
}
