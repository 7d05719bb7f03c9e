import Foundation
import LabKit

/// `kind: haproxy` (also `balancer`): a real HTTP load balancer in front of service roles →
/// `<NAME>_URL=http://127.0.0.1:P` (send requests there; `scenario.target: <name>` sends the load
/// there) and `<NAME>_RUNTIME_API=127.0.0.1:Q` (HAProxy's Runtime API, for a lab's own controller).
///
/// HAProxy rather than nginx: health checks (on `/readyz`), weights that change at run time, drain
/// and slow start are built in and scriptable through the Runtime API without a reload; per-server
/// counters come from its built-in Prometheus exporter (Prometheus scrapes it as job `<name>`); and
/// its master-worker reload is seamless. Settings: see `BalancerSettings`; commands: `BalancerCommands`.
struct HAProxyKind: InfrastructureKind {
    var name: String { "haproxy" }
    var aliases: [String] { ["balancer"] }
    var programs: [String] { ["haproxy"] }
    var settingKeys: [String] { BalancerSettings.keys }
    var servesHTTP: Bool { true }

    /// The compose container's ports (the frontend on the services' port, so URLs look alike).
    static let composeFrontendPort = ComposeLayout.servicePort
    static let composeMetricsPort = 8405
    static let composeRuntimeAPIPort = 9999
    static let composeImage = "haproxy:2.6.12" // Debian 12's version, as the native path runs

    func validate(_ settings: InfrastructureSettingsReader) throws {
        try BalancerSettings.validate(settings)
    }

    func validateOverride(_ settings: InfrastructureSettingsReader) throws {
        try BalancerSettings.validate(settings, requireBackends: false)
    }

    static func runtimeAPIVariable(_ item: InfrastructureSpec) -> String {
        item.name.uppercased().replacingOccurrences(of: "-", with: "_") + "_RUNTIME_API"
    }

    /// Role → its servers, as named in haproxy.cfg and metrics (the instance names).
    static func servers(_ settings: BalancerSettings, replicas: (String) -> Int) -> [(role: String, servers: [String])] {
        settings.backends.map { role in
            let count = max(1, replicas(role))
            return (role, (1...count).map { ServiceInstance.name(role: role, replica: $0, replicas: count) })
        }
    }

    func start(_ item: InfrastructureSpec, _ context: InfrastructureContext) async throws -> StartedInfrastructure {
        let settings = BalancerSettings(item.settings)
        let urls = context.serviceURLs
        let byRole = Self.servers(settings) { urls[$0]?.count ?? 1 }
        var servers: [HAProxyConfiguration.Server] = []
        for (role, names) in byRole {
            for (name, url) in zip(names, urls[role] ?? []) {
                let address = url.replacingOccurrences(of: "http://", with: "")
                servers.append(.init(name: name, address: address, weight: settings.weight(role: role, instance: name)))
            }
        }
        let configured = servers
        let title =
            "\(context.lab.manifest.id) (\(context.variant.name)): balancer '\(item.name)' in front of \(settings.backends.joined(separator: ", "))"
        let haproxy = try await HAProxyServer.start(directory: context.directory, locator: context.locator, timeout: context.readyTimeout) {
            frontend, metrics, runtimeAPI, stateFile in
            HAProxyConfiguration(
                title: title, frontendBind: "127.0.0.1:\(frontend)", metricsBind: "127.0.0.1:\(metrics)",
                runtimeAPIBind: "ipv4@127.0.0.1:\(runtimeAPI)", servers: configured, settings: settings, stateFile: stateFile)
        }
        let commands = BalancerCommands(runtimeAPI: haproxy.runtimeAPI, serversByRole: byRole, settings: settings) { weights in
            var next = haproxy.configuration
            next.servers = next.servers.map { server in
                var server = server
                server.weight = weights[server.name] ?? server.weight
                return server
            }
            try await haproxy.reload(next)
        }
        var started = StartedInfrastructure(
            url: haproxy.url,
            environment: [Self.runtimeAPIVariable(item): "127.0.0.1:\(haproxy.runtimeAPIPort)"],
            processes: [haproxy.process],
            scrapeJobs: [PrometheusScrapeJob(name: item.name, targets: ["127.0.0.1:\(haproxy.metricsPort)"])],
            endpoints: [
                "\(item.name)-stats": "http://127.0.0.1:\(haproxy.metricsPort)/stats",
                "\(item.name)-runtime-api": "127.0.0.1:\(haproxy.runtimeAPIPort)",
            ],
            stop: { await haproxy.stop() },
            command: { name, arguments in try await commands.perform(name, arguments) })
        // The scenario starts once the balancer sends traffic to every replica that runs.
        started.servicesStarted = { running in
            let names = byRole.flatMap(\.servers).filter(running.contains)
            guard !names.isEmpty else { return }
            _ = try await commands.perform("wait_up", .array(names.map { .string($0) }))
        }
        return started
    }

    func composeImage(_ item: InfrastructureSpec) -> ComposeImages? {
        ComposeImages(
            image: Self.composeImage, port: Self.composeFrontendPort, urlScheme: "http",
            healthcheck: "bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(Self.composeMetricsPort)'",
            metrics: .init(port: Self.composeMetricsPort),
            variantConfig: .init("\(item.name).haproxy.cfg", at: "/usr/local/etc/haproxy/haproxy.cfg"),
            serviceEnvironment: [Self.runtimeAPIVariable(item): "\(item.name):\(Self.composeRuntimeAPIPort)"])
    }

    func composeConfigFile(_ item: InfrastructureSpec, variant: VariantSpec, layout: ComposeLayout) -> String? {
        let settings = BalancerSettings(variant.settings(of: item))
        var servers: [HAProxyConfiguration.Server] = []
        for (role, names) in Self.servers(settings, replicas: { layout.manifest.service($0)?.replicas ?? 1 }) {
            for name in names {
                servers.append(
                    .init(name: name, address: "\(name):\(ComposeLayout.servicePort)", weight: settings.weight(role: role, instance: name)))
            }
        }
        return HAProxyConfiguration(
            title:
                "\(layout.manifest.id) (\(variant.name)): balancer '\(item.name)' in front of \(settings.backends.joined(separator: ", "))",
            frontendBind: "0.0.0.0:\(Self.composeFrontendPort)", metricsBind: "0.0.0.0:\(Self.composeMetricsPort)",
            runtimeAPIBind: "ipv4@0.0.0.0:\(Self.composeRuntimeAPIPort)", servers: servers, settings: settings, stateFile: nil,
            dockerDNS: true
        ).render()
    }
}
