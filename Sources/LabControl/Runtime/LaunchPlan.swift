import Foundation

/// Everything about a lab's start that is known before anything runs: the variant, the
/// directories, and every service instance with its port. Ports are chosen up front so that every
/// peer URL, a balancer's backends and Prometheus's targets are known before the first process starts.
struct LaunchPlan: Sendable {
    let entry: LabCatalog.Entry
    let variant: VariantSpec
    var options: RuntimeOptions
    let labsvc: URL
    /// `.lab/<lab id>/`
    let labDirectory: URL
    let logs: URL
    /// Every instance (ports chosen, environment still to wire), by role in start order.
    let instances: [(role: String, name: String, replica: Int, port: Int)]
    /// Infrastructure name → the ports of the fault proxy in front of it (`proxied: true`).
    let proxyPorts: [String: (listen: Int, admin: Int)]
    /// The ports of instances that start later (`autostart: false`), held from the moment they are
    /// chosen until the instance starts.
    let reservedPorts = PortReservations()
    /// Where this start's Prometheus keeps its configuration, data and log.
    var prometheusDirectory: URL { labDirectory.appendingPathComponent("prometheus/\(variant.name)", isDirectory: true) }

    var manifest: LabManifest { entry.manifest }

    /// Role → base URLs of its replicas.
    var serviceURLs: [String: [String]] {
        var urls: [String: [String]] = [:]
        for instance in instances { urls[instance.role, default: []].append("http://127.0.0.1:\(instance.port)") }
        return urls
    }

    init(_ entry: LabCatalog.Entry, options: RuntimeOptions) throws {
        let manifest = entry.manifest
        guard let variant = manifest.variants[options.variant] else {
            throw RuntimeError(
                "\(manifest.id) has no variant '\(options.variant)' (variants: \(manifest.variantNames.joined(separator: ", ")))")
        }
        let support = NativeSupport.check(manifest, locator: options.locator)
        if !support.unsupported.isEmpty {
            throw RuntimeError(
                "\(manifest.id) needs \(support.unsupported.joined(separator: ", ")), which the native runtime cannot start yet")
        }
        if let missing = support.missing.first(where: { $0.program != "prometheus" || options.prometheus }) { throw missing }
        self.entry = entry
        self.variant = variant
        self.options = options
        self.labsvc = try options.resolveLabsvc()
        self.labDirectory = options.stateDirectory.appendingPathComponent(manifest.id, isDirectory: true)
        self.logs = labDirectory.appendingPathComponent("logs", isDirectory: true)
        var instances: [(String, String, Int, Int)] = []
        for service in ServiceOrder.startOrder(manifest.services) {
            for replica in 1...service.replicas {
                let name = ServiceInstance.name(role: service.role, replica: replica, replicas: service.replicas)
                var port = try FreePort.next()
                if !service.autostart {
                    while !reservedPorts.hold(port) { port = try FreePort.next() }
                }
                instances.append((service.role, name, replica, port))
            }
        }
        self.instances = instances.map { (role: $0.0, name: $0.1, replica: $0.2, port: $0.3) }
        var proxyPorts: [String: (listen: Int, admin: Int)] = [:]
        for item in manifest.infrastructure where item.proxied { proxyPorts[item.name] = (try FreePort.next(), try FreePort.next()) }
        self.proxyPorts = proxyPorts
    }

    /// What Prometheus scrapes, as far as it is known before anything starts: every service
    /// instance and every fault proxy's admin API (a kind's own exporters are added once it runs).
    var scrapeJobs: [PrometheusScrapeJob] {
        let labels = ["lab": manifest.id, "variant": variant.name]
        let proxies = manifest.infrastructure.compactMap { item in
            proxyPorts[item.name].map {
                PrometheusScrapeJob(name: "\(item.name)-proxy", targets: ["127.0.0.1:\($0.admin)"], labels: labels)
            }
        }
        return proxies
            + manifest.services.map { service in
                PrometheusScrapeJob(
                    name: service.role, targets: instances.filter { $0.role == service.role }.map { "127.0.0.1:\($0.port)" }, labels: labels
                )
            }
    }

    /// The service instances with their full environment, once infrastructure URLs are known.
    func serviceInstances(
        infrastructureURLs: [String: String], infrastructureEnvironment: [String: String], otlpEndpoint: String?
    )
        -> [ServiceInstance]
    {
        let wiring = ServiceEnvironment(
            lab: manifest, variant: variant, serviceURLs: serviceURLs, infrastructureURLs: infrastructureURLs,
            otlpEndpoint: otlpEndpoint, basics: ChildProcess.minimalEnvironment().merging(infrastructureEnvironment) { _, extra in extra })
        return instances.map { instance in
            let service = manifest.service(instance.role)!
            return ServiceInstance(
                role: instance.role, name: instance.name, replica: instance.replica, port: instance.port, arguments: service.arguments,
                environment: wiring.environment(for: service, instance: instance.name, port: instance.port),
                logFile: logs.appendingPathComponent("\(instance.name).log"))
        }
    }

    /// Roles grouped by dependency depth: every role of a level depends only on earlier levels,
    /// so a level's services start together once the level before it is ready.
    var startLevels: [[String]] {
        var level: [String: Int] = [:]
        for service in ServiceOrder.startOrder(manifest.services) {
            level[service.role] = (service.dependsOn.compactMap { level[$0] }.max() ?? -1) + 1
        }
        let depth = (level.values.max() ?? -1) + 1
        return (0..<depth).map { d in ServiceOrder.startOrder(manifest.services).map(\.role).filter { level[$0] == d } }
    }
}
