import Foundation
import LabKit

/// `labs/<lab>/compose.yaml` (+ `labs/<lab>/compose/<variant>/<role>.env`): the lab on the Docker
/// path, added to the shared stack of the root compose.yaml:
///
///     docker compose -f compose.yaml -f labs/07-circuit-breakers/compose.yaml up -d --build --wait
///
/// Every lab service is one compose service per replica (named like the native instances and the
/// Prometheus targets: `backend-1`), all from the one image the root Dockerfile builds, running
/// `labsvc <lab> <role>` on port 8080; infrastructure from pinned images, a `labsvc proxy`
/// container in front of anything `proxied: true`; health checks, and `depends_on` that waits for
/// them; and a one-shot `scenario` service (profile `scenario`) that runs the lab's scenario
/// against this deployment: `labctl run <lab> --target compose`.
public struct ComposeGenerator: Generator {
    public var name: String { "compose files" }
    public var ownedDirectories: [String] { [] }

    public init() {}

    public func ownedDirectories(in catalog: LabCatalog) -> [String] {
        catalog.labs.map { "labs/\($0.directoryName)/compose" }
    }

    public func files(for catalog: LabCatalog) throws -> [GeneratedFile] {
        try catalog.labs.flatMap { entry -> [GeneratedFile] in
            let layout = ComposeLayout(manifest: entry.manifest)
            let environment = ComposeEnvironment(layout: layout)
            var files = [GeneratedFile(path: "labs/\(entry.directoryName)/compose.yaml", contents: render(layout))]
            for variant in entry.manifest.variantNames {
                for service in entry.manifest.services {
                    files.append(
                        GeneratedFile(
                            path: environment.envFilePath(role: service.role, variant: variant),
                            contents: try environment.envFile(for: service, variant: entry.manifest.variants[variant]!)))
                }
                for item in entry.manifest.infrastructure {
                    guard let file = ComposeImages.image(for: item)?.variantConfig,
                        let contents = item.kind.definition?.composeConfigFile(
                            item, variant: entry.manifest.variants[variant]!, layout: layout)
                    else { continue }
                    files.append(GeneratedFile(path: "labs/\(entry.directoryName)/compose/\(variant)/\(file.source)", contents: contents))
                }
            }
            return files
        }
    }

    func render(_ layout: ComposeLayout) -> String {
        let lab = layout.manifest
        let files = "-f compose.yaml -f labs/\(layout.directoryName)/compose.yaml"
        var out = YAMLWriter()
        out.comment(Generation.header(directoryName: layout.directoryName))
        out.comment("Week \(lab.week): \(lab.title)")
        out.comment("")
        out.comment("From the repository root (paths below are relative to it, the first file's directory):")
        out.comment("  docker compose \(files) up -d --build --wait")
        out.comment("  docker compose \(files) run --rm scenario                 # variant 'before'")
        out.comment("  LAB_VARIANT=after docker compose \(files) up -d --wait --force-recreate --renew-anon-volumes")
        out.comment("  LAB_VARIANT=after docker compose \(files) run --rm scenario")
        out.comment(
            "Variants: \(lab.variantNames.joined(separator: ", ")) (env files under labs/\(layout.directoryName)/compose/<variant>/).")
        out.line("services:")
        for item in lab.infrastructure { infrastructure(item, layout, &out) }
        let environment = ComposeEnvironment(layout: layout)
        for service in ServiceOrder.startOrder(lab.services) {
            for instance in layout.instanceNames(of: service) {
                labService(service, instance: instance, layout, environment, &out)
            }
        }
        scenario(layout, &out)
        return out.text
    }

    // MARK: parts

    private func infrastructure(_ item: InfrastructureSpec, _ layout: ComposeLayout, _ out: inout YAMLWriter) {
        guard let image = ComposeImages.image(for: item) else {
            if item.kind != .prometheus {
                out.comment(
                    "  \(item.name): no image for '\(item.kind)' is known to labctl gen (ComposeImages); the lab cannot run on the Docker path yet"
                )
            }
            return
        }
        out.line("  \(item.name):")
        out.line("    image: \(YAMLWriter.quote(image.image))")
        if !image.environment.isEmpty {
            out.line("    environment:")
            for key in image.environment.keys.sorted() { out.line("      \(key): \(YAMLWriter.quote(image.environment[key]!))") }
        }
        if image.initFile != nil || image.variantConfig != nil {
            out.line("    volumes:")
        }
        if let file = image.initFile {
            out.line("      - \(YAMLWriter.quote("./labs/\(layout.directoryName)/\(file.source):\(file.target):ro"))")
        }
        if let file = image.variantConfig {
            let source = "./labs/\(layout.directoryName)/compose/\(ComposeEnvironment.variantVariable)/\(file.source)"
            out.line("      - \(YAMLWriter.quote("\(source):\(file.target):ro", interpolate: true))")
        }
        if let entrypoint = image.entrypoint { out.line("    entrypoint: \(YAMLWriter.flow(entrypoint))") }
        if let command = image.command { out.line("    command: \(YAMLWriter.flow(command))") }
        if let check = image.healthcheck { healthcheck(["CMD-SHELL", check], &out) }
        out.line("    networks: [\(ComposeLayout.network)]")
        for companion in image.companions { self.companion(companion, of: item, &out) }

        guard item.proxied, let port = image.port else { return }
        out.line("  \(ComposeLayout.proxyName(item.name)):")
        commonImage(&out)
        out.line(
            "    command: \(YAMLWriter.flow(["proxy", "--name", item.name, "--listen", "0.0.0.0:\(port)", "--upstream", "\(item.name):\(port)", "--admin", "0.0.0.0:\(ComposeLayout.proxyAdminPort)"]))"
        )
        out.line("    environment:")
        out.line("      LAB_ADMIN_TOKEN: \(YAMLWriter.quote(ComposeEnvironment.adminToken, interpolate: true))")
        // /metrics is the admin API's unguarded route (the control routes want the token).
        healthcheck(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:\(ComposeLayout.proxyAdminPort)/metrics"], &out)
        dependsOn([item.name], &out)
        out.line("    networks: [\(ComposeLayout.network)]")
    }

    private func companion(_ companion: ComposeImages.Companion, of item: InfrastructureSpec, _ out: inout YAMLWriter) {
        out.line("  \(item.name)-\(companion.suffix):")
        if let image = companion.image { out.line("    image: \(YAMLWriter.quote(image))") } else { commonImage(&out) }
        if let entrypoint = companion.entrypoint { out.line("    entrypoint: \(YAMLWriter.flow(entrypoint))") }
        out.line("    command: \(YAMLWriter.flow(companion.command))")
        if !companion.environment.isEmpty {
            out.line("    environment:")
            for key in companion.environment.keys.sorted() {
                out.line("      \(key): \(YAMLWriter.quote(companion.environment[key]!, interpolate: true))")
            }
        }
        if let check = companion.healthcheck { healthcheck(["CMD-SHELL", check], &out) }
        dependsOn([item.name] + companion.after.map { "\(item.name)-\($0)" }, &out)
        out.line("    networks: [\(ComposeLayout.network)]")
    }

    private func labService(
        _ service: ServiceSpec, instance: String, _ layout: ComposeLayout, _ environment: ComposeEnvironment, _ out: inout YAMLWriter
    ) {
        let lab = layout.manifest
        out.line("  \(instance):")
        commonImage(&out)
        out.line("    command: \(YAMLWriter.flow([lab.id, service.role] + service.arguments))")
        // Not PID 1 (which ignores SIGKILL), so the `abort` fault kills it, and Docker starts it again:
        // that is how a scenario's `kill` works on this path (see ComposeTarget).
        out.line("    init: true")
        out.line("    restart: on-failure")
        if let limit = service.memoryLimitBytes {
            // Past it the kernel's OOM killer ends the process (no swap to hide in); Docker starts it again.
            let size = "\(max(1, limit >> 20))m"
            out.line("    mem_limit: \(YAMLWriter.quote(size))")
            out.line("    memswap_limit: \(YAMLWriter.quote(size))")
        }
        let envFile = "./" + environment.envFilePath(role: service.role, variant: ComposeEnvironment.variantVariable)
        out.line("    env_file: [\(YAMLWriter.quote(envFile, interpolate: true))]")
        out.line("    environment:")
        for (key, value) in environment.instanceEnvironment(instance: instance) {
            out.line("      \(key): \(YAMLWriter.quote(value, interpolate: true))")
        }
        if service.role == (lab.scenario?.target ?? lab.entryService?.role), instance == layout.instanceNames(of: service).first {
            // The entry service on the host too, to try it by hand: curl localhost:8080/…
            out.line("    ports: [\(YAMLWriter.quote("8080:\(ComposeLayout.servicePort)"))]")
        }
        healthcheck(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:\(ComposeLayout.servicePort)/readyz"], &out)
        var dependencies: [String] = []
        for role in service.dependsOn {
            if let peer = lab.service(role) { dependencies += layout.instanceNames(of: peer) }
        }
        dependencies += infrastructureServices(lab)
        dependsOn(dependencies, started: ["otel-collector"], &out)
        out.line("    networks: [\(ComposeLayout.network)]")
    }

    private func scenario(_ layout: ComposeLayout, _ out: inout YAMLWriter) {
        let lab = layout.manifest
        out.line("  # One-shot: plays the scenario against this deployment and writes .lab/compose/\(lab.id)/<variant>.json.")
        out.line("  scenario:")
        commonImage(&out)
        out.line("    entrypoint: [\"labctl\"]")
        let command = [
            "run", lab.id, "--target", "compose", "--variant", ComposeEnvironment.variantVariable,
            "--duration-scale", "${LAB_DURATION_SCALE:-1}", "--results-dir", "/results",
        ]
        out.line("    command: [\(command.map { YAMLWriter.quote($0, interpolate: true) }.joined(separator: ", "))]")
        out.line("    environment:")
        out.line("      LAB_ADMIN_TOKEN: \(YAMLWriter.quote(ComposeEnvironment.adminToken, interpolate: true))")
        out.line("    volumes: [\(YAMLWriter.quote("./.lab/compose/\(lab.id):/results"))]")
        out.line("    profiles: [scenario]")
        out.line("    restart: \"no\"")
        dependsOn(layout.allInstanceNames + infrastructureServices(lab), extraHealthy: ["prometheus"], &out)
        out.line("    networks: [\(ComposeLayout.network)]")
    }

    // MARK: helpers

    private func commonImage(_ out: inout YAMLWriter) {
        out.line("    image: \(YAMLWriter.quote(ComposeLayout.image))")
        out.line("    build: {context: ., dockerfile: Dockerfile}")
    }

    private func healthcheck(_ test: [String], _ out: inout YAMLWriter) {
        out.line("    healthcheck:")
        out.line("      test: \(YAMLWriter.flow(test))")
        out.line("      interval: 2s")
        out.line("      timeout: 2s")
        out.line("      retries: 30")
        out.line("      start_period: 5s")
    }

    /// Compose services of the lab's infrastructure that services wait for (proxies when proxied).
    private func infrastructureServices(_ lab: LabManifest) -> [String] {
        lab.infrastructure.flatMap { item -> [String] in
            guard let image = ComposeImages.image(for: item) else { return [] }
            return [item.proxied ? ComposeLayout.proxyName(item.name) : item.name]
                + image.companions.filter(\.servicesWait).map { "\(item.name)-\($0.suffix)" }
        }
    }

    private func dependsOn(_ healthy: [String], started: [String] = [], extraHealthy: [String] = [], _ out: inout YAMLWriter) {
        let all = (healthy + extraHealthy).map { ($0, "service_healthy") } + started.map { ($0, "service_started") }
        guard !all.isEmpty else { return }
        out.line("    depends_on:")
        for (name, condition) in all { out.line("      \(name): {condition: \(condition)}") }
    }
}

/// Just enough YAML for generated compose files: lines, comments, quoted scalars.
struct YAMLWriter {
    private(set) var text = ""

    mutating func line(_ line: String) { text += line + "\n" }
    mutating func comment(_ comment: String) { text += (comment.isEmpty ? "#" : "# " + comment) + "\n" }

    /// A double-quoted scalar (JSON string syntax, which YAML accepts). Compose interpolates `$`
    /// everywhere: unless `interpolate`, a literal `$` is written `$$`.
    static func quote(_ value: String, interpolate: Bool = false) -> String {
        let quoted = JSONValue.quoted(value, escapingSlashes: false)
        return interpolate ? quoted : quoted.replacingOccurrences(of: "$", with: "$$")
    }

    /// A flow sequence of quoted strings: `["a", "b"]`.
    static func flow(_ values: [String]) -> String {
        "[" + values.map { quote($0) }.joined(separator: ", ") + "]"
    }
}
