import LabKit

/// The environment of a lab service on the Docker path: the same layers as the native runtime
/// (`ServiceEnvironment`: wiring → manifest env → variant env → PORT/HOST), with compose DNS names
/// instead of loopback ports.
///
/// Compose cannot choose values per variant inside one file, so the environment is split in two:
/// - what is the same for every replica of a role goes to an env file per variant,
///   `labs/<lab>/compose/<variant>/<role>.env`; the service's `env_file` names it through
///   `${LAB_VARIANT:-before}`, so `LAB_VARIANT=after docker compose up` switches the variant;
/// - what differs per replica (`LAB_INSTANCE`, `OTEL_RESOURCE_ATTRIBUTES`) plus PORT/HOST and the
///   admin token go to the service's `environment:` (which wins over `env_file`).
/// A variant's admin-API knobs (`config:`), which the native runtime PUTs after start, become
/// `LAB_CONFIG` (a JSON object every service reads at start).
struct ComposeEnvironment {
    let layout: ComposeLayout
    var manifest: LabManifest { layout.manifest }

    /// The variable every compose file interpolates to pick the variant.
    static let variantVariable = "${LAB_VARIANT:-before}"
    /// The admin API answers loopback only unless a token is set; in compose the scenario
    /// container calls from another address, so every service and proxy gets this token.
    static let adminToken = "${LAB_ADMIN_TOKEN:-distributed-lab}"
    /// Keys written to `environment:` (per instance or interpolated); a manifest may not set them.
    static let instanceKeys: Set<String> = ["LAB_INSTANCE", "OTEL_RESOURCE_ATTRIBUTES", "PORT", "HOST", "LAB_ADMIN_TOKEN"]

    struct GenerationError: Error, CustomStringConvertible {
        var description: String
    }

    /// The env file of `role` in `variant`: sorted `KEY=value` lines.
    func envFile(for service: ServiceSpec, variant: VariantSpec) throws -> String {
        let wiring = ServiceEnvironment(
            lab: manifest, variant: variant, serviceURLs: layout.serviceURLsByRole,
            infrastructureURLs: layout.infrastructureURLs, otlpEndpoint: ComposeLayout.otlpEndpoint,
            basics: layout.infrastructureEnvironment)
        var env = wiring.environment(for: service, instance: service.role, port: ComposeLayout.servicePort)
        for item in manifest.infrastructure {
            env.merge(ComposeImages.image(for: item)?.serviceEnvironment ?? [:]) { wired, _ in wired }
        }
        for key in Self.instanceKeys {
            let set = service.env[key] ?? variant.env(for: service.role)[key]
            if set != nil && key != "PORT" && key != "HOST" {
                throw GenerationError(
                    description: "labs/\(manifest.slug): \(service.role) sets \(key), which the compose path sets per instance")
            }
            env.removeValue(forKey: key)
        }
        if let knobs = variant.services[service.role]?.config, !knobs.isEmpty {
            env["LAB_CONFIG"] = JSONValue.object(knobs).encodedString()
        }
        var lines = [
            "# \(Generation.header(directoryName: layout.directoryName))",
            "# \(service.role) in variant '\(variant.name)' (compose reads it when LAB_VARIANT=\(variant.name)).",
        ]
        for key in env.keys.sorted() {
            let value = env[key]!
            // An env file line is taken as it stands; compose v1 and v2 differ on quotes, `$` and ` #`.
            if value.contains("\n") || value.contains("$") || value.contains(" #") || value.hasPrefix("\"") || value.hasPrefix("'") {
                throw GenerationError(
                    description:
                        "labs/\(manifest.slug): \(service.role) \(key)=\(value) cannot be written to a compose env file (newline, $, ' #' or a leading quote)"
                )
            }
            lines.append("\(key)=\(value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The per-instance part, written into the compose service itself.
    func instanceEnvironment(instance: String) -> [(String, String)] {
        [
            ("HOST", "0.0.0.0"),
            ("LAB_ADMIN_TOKEN", Self.adminToken),
            ("LAB_INSTANCE", instance),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.namespace=\(manifest.id),service.instance.id=\(instance),deployment.environment=\(Self.variantVariable)"
            ),
            ("PORT", String(ComposeLayout.servicePort)),
        ]
    }

    /// Relative to the repository root (compose resolves paths from the first file's directory).
    func envFilePath(role: String, variant: String) -> String {
        "labs/\(layout.directoryName)/compose/\(variant)/\(role).env"
    }
}
