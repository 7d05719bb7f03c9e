/// The environment of one lab service process, in layers (later wins):
/// labctl's basics (PATH, HOME, LANG) → the lab's wiring (`<PEER>_URL`, `REDIS_URL`,
/// `DATABASE_URL`, `OTEL_*`) → the manifest's `env` → the variant's `env` → `PORT`/`HOST`
/// (the runtime owns the port).
public struct ServiceEnvironment: Sendable {
    public var lab: LabManifest
    public var variant: VariantSpec
    /// Role → base URLs of its replicas.
    public var serviceURLs: [String: [String]]
    /// Infrastructure name → URL.
    public var infrastructureURLs: [String: String]
    public var otlpEndpoint: String?
    public var basics: [String: String]

    public func environment(for service: ServiceSpec, instance: String, port: Int) -> [String: String] {
        var env = basics
        for dependency in service.dependsOn {
            env[ServiceSpec.urlVariable(for: dependency)] = serviceURLs[dependency, default: []].joined(separator: ",")
        }
        for item in lab.infrastructure {
            guard let url = infrastructureURLs[item.name] else { continue }
            env[ServiceSpec.urlVariable(for: item.name)] = url
            // REDIS_URL, DATABASE_URL: the first of its kind, or the one named after the kind.
            if let conventional = item.kind.definition?.conventionalURLVariable, env[conventional] == nil || item.name == item.kind.name {
                env[conventional] = url
            }
        }
        env["OTEL_SERVICE_NAME"] = service.role
        env["OTEL_RESOURCE_ATTRIBUTES"] =
            "service.namespace=\(lab.id),service.instance.id=\(instance),deployment.environment=\(variant.name)"
        env["OTEL_BSP_SCHEDULE_DELAY"] = "500"
        if let otlpEndpoint { env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpEndpoint }
        env["LAB_ID"] = lab.id
        env["LAB_VARIANT"] = variant.name
        env["LAB_INSTANCE"] = instance
        env.merge(service.env) { _, manifest in manifest }
        env.merge(variant.env(for: service.role)) { _, variant in variant }
        env["PORT"] = "\(port)"
        env["HOST"] = "127.0.0.1"
        return env
    }
}
