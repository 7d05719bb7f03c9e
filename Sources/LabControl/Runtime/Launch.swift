import Foundation
import LabKit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One start of a lab, step by step (see `LabRuntime.up`). It remembers everything it started, so
/// that a failure at any step stops it all and leaves no process behind.
final class Launch: Sendable {
    let plan: LaunchPlan
    private let prepared: PreparedStart?
    private let handles = Mutex<[InfrastructureHandle]>([])
    private let processes = Mutex<[String: ChildProcess]>([:])
    private var options: RuntimeOptions { plan.options }

    init(plan: LaunchPlan, prepared: PreparedStart?) {
        self.plan = plan
        self.prepared = prepared
    }

    func run() async throws -> RunningLab {
        let timings = options.timings
        let manifest = plan.manifest

        // 1. Prometheus, already scraping the (not yet started) services and proxies: its
        //    five-second discovery tick runs meanwhile. A prepared start brings one started earlier.
        var prometheus = prepared?.prometheus
        if prometheus == nil && options.prometheus {
            prometheus = try await timings.measure("start prometheus") { try await LabRuntime.startPrometheus(plan) }
        }
        if let server = prometheus {
            keep(InfrastructureHandle(name: "prometheus", process: server.process, stop: { await server.stop() }))
        }

        // 2. The OTLP receiver (or the endpoint given).
        let otlpEndpoint = try await timings.measure("start otlp receiver") { try await startReceiver() }

        // 3. Infrastructure, every item at once.
        let infrastructure = try await timings.measure("start infrastructure") { try await startInfrastructure() }
        var infrastructureURLs: [String: String] = [:]
        var infrastructureEnvironment: [String: String] = [:]
        var scrapeJobs: [PrometheusScrapeJob] = []
        var extraEndpoints: [String: String] = [:]
        var commands: [String: @Sendable (String, JSONValue) async throws -> String] = [:]
        var servicesStartedHooks: [@Sendable (Set<String>) async throws -> Void] = []
        for (item, started) in infrastructure {
            if let hook = started.servicesStarted { servicesStartedHooks.append(hook) }
            infrastructureURLs[item.name] = started.url
            infrastructureEnvironment.merge(started.environment) { _, new in new }
            scrapeJobs += started.scrapeJobs
            extraEndpoints.merge(started.endpoints) { _, new in new }
            if let command = started.command { commands[item.name] = command }
            if let proxy = started.proxyAdminURL { extraEndpoints["\(item.name)-proxy"] = proxy }
        }

        // 4. Services, level by level.
        let instances = plan.serviceInstances(
            infrastructureURLs: infrastructureURLs, infrastructureEnvironment: infrastructureEnvironment, otlpEndpoint: otlpEndpoint)
        let labels = ["lab": manifest.id, "variant": plan.variant.name]
        scrapeJobs = scrapeJobs.map { job in
            var job = job
            job.labels.merge(labels) { own, _ in own }
            return job
        }
        scrapeJobs = plan.scrapeJobs + scrapeJobs.filter { job in !plan.scrapeJobs.contains { $0.name == job.name } }
        if scrapeJobs != plan.scrapeJobs { try prometheus?.setTargets(scrapeJobs) }

        var endpoints = LabEndpoints(
            lab: manifest.id, variant: plan.variant.name, services: plan.serviceURLs,
            instances: Dictionary(uniqueKeysWithValues: instances.map { ($0.name, $0.url) }),
            infrastructure: infrastructureURLs.filter { !$0.value.isEmpty }.merging(extraEndpoints) { _, extra in extra },
            prometheus: prometheus?.baseURL.absoluteString, otlp: otlpEndpoint,
            logs: Dictionary(uniqueKeysWithValues: instances.map { ($0.name, $0.logFile.path) }))
        for handle in handles.withLock({ $0 }) { if let process = handle.process { endpoints.logs[handle.name] = process.logFile.path } }
        if let prometheus { endpoints.infrastructure["prometheus"] = prometheus.baseURL.absoluteString }

        // Instances that start later (`autostart: false`) are scraped but not waited for.
        let later = instances.filter { manifest.service($0.role)?.autostart == false }
        let lab = RunningLab(
            manifest: manifest, variant: plan.variant.name, stateDirectory: options.stateDirectory, labDirectory: plan.labDirectory,
            instances: instances, endpoints: endpoints, labsvc: plan.labsvc, readyTimeout: options.readyTimeout,
            log: options.log, processes: [:], infrastructure: handles.withLock { $0 }, commands: commands,
            scrapeTargetCount: scrapeJobs.reduce(0) { $0 + $1.targets.count } - later.count, reservedPorts: plan.reservedPorts)
        let starting = instances.filter { !later.contains($0) }
        try await timings.measure("start services") { try await startServices(starting, lab: lab) }
        try await timings.measure("apply variant knobs") { try await applyVariantKnobs(starting) }
        if !servicesStartedHooks.isEmpty {
            let running = Set(starting.map(\.name))
            try await timings.measure("infrastructure sees services") {
                for hook in servicesStartedHooks { try await hook(running) }
            }
        }
        if !later.isEmpty { options.log("not started yet (autostart: false): \(later.map(\.name).joined(separator: ", "))") }

        lab.adopt(processes: processes.withLock { $0 })
        logMemoryLimits()
        lab.superviseMemoryLimits()
        try lab.writeState()
        try endpoints.write(to: options.stateDirectory)
        return lab
    }

    // MARK: steps

    private func startReceiver() async throws -> String? {
        switch options.otlp {
        case .none: return nil
        case .external(let endpoint): return endpoint
        case .embedded(let port):
            let store = try TraceStore.openForReceiving(stateDirectory: options.stateDirectory, log: options.log)
            let receiver = OTLPReceiver(store: store, configuration: .init(port: port))
            let bound = try await receiver.start()
            keep(InfrastructureHandle(name: "otlp-receiver", process: nil, stop: { await receiver.stop() }))
            let endpoint = "http://127.0.0.1:\(bound)"
            options.log("OTLP receiver  \(endpoint)  (traces in \(store.directory))")
            return endpoint
        }
    }

    /// Starts every infrastructure item concurrently (each behind its fault proxy when `proxied`).
    private func startInfrastructure() async throws -> [(InfrastructureSpec, StartedInfrastructure)] {
        let items = plan.manifest.infrastructure.filter { $0.kind != .prometheus }
        guard !items.isEmpty else { return [] }
        options.log("starting \(items.map { "\($0.name) (\($0.kind))" }.joined(separator: ", "))…")
        let started = try await withThrowingTaskGroup(of: (Int, StartedInfrastructure).self) { group in
            for (index, item) in items.enumerated() {
                group.addTask { (index, try await self.startOne(item)) }
            }
            var results: [Int: StartedInfrastructure] = [:]
            for try await (index, result) in group { results[index] = result }
            return results
        }
        return items.enumerated().map { ($0.element, started[$0.offset]!) }
    }

    /// Which services have a memory limit, and how this machine enforces it.
    private func logMemoryLimits() {
        let limited = plan.manifest.services.compactMap { service in service.memoryLimitBytes.map { (service.role, $0) } }
        guard !limited.isEmpty else { return }
        let list = limited.map { "\($0.0) \(MemorySize.text($0.1))" }.joined(separator: ", ")
        options.log("memory limits: \(list), enforced by \(MemoryLimitEnforcement.current)")
    }

    private func startOne(_ declared: InfrastructureSpec) async throws -> StartedInfrastructure {
        var item = declared
        item.settings = plan.variant.settings(of: declared) // the variant's changes to its settings
        guard let kind = item.kind.definition, kind.runsNatively else {
            throw RuntimeError("\(item.kind) cannot run natively yet")
        }
        let directory = plan.labDirectory.appendingPathComponent(item.name, isDirectory: true)
        let context = InfrastructureContext(
            lab: plan.entry, variant: plan.variant, directory: directory, locator: options.locator, labsvc: plan.labsvc,
            serviceURLs: plan.serviceURLs, readyTimeout: options.readyTimeout, cacheDirectory: options.cacheDirectory, log: options.log)
        var started = try await kind.start(item, context)
        let mainProcess = started.processes.first
        keep(InfrastructureHandle(name: item.name, process: mainProcess, stop: started.stop))
        for extra in started.processes.dropFirst() {
            keep(InfrastructureHandle(name: "\(item.name)/\(extra.name)", process: extra, stop: {}))
        }
        if item.proxied, let upstream = URLComponents(string: started.url)?.port {
            let proxy = try await FaultProxyProcess.start(
                name: item.name, upstreamPort: upstream, labsvc: plan.labsvc,
                directory: directory.appendingPathComponent("proxy", isDirectory: true), readyTimeout: options.readyTimeout,
                ports: plan.proxyPorts[item.name])
            keep(
                InfrastructureHandle(
                    name: "\(item.name)-proxy", process: proxy.process,
                    stop: {
                        await proxy.process.stop(signal: SIGTERM, grace: .seconds(5))
                    }))
            started.url = FaultProxyProcess.rewrite(started.url, toPort: proxy.listenPort)
            started.scrapeJobs.append(PrometheusScrapeJob(name: "\(item.name)-proxy", targets: ["127.0.0.1:\(proxy.adminPort)"]))
            started.proxyAdminURL = proxy.adminURL
        }
        try writeProvisionalState()
        return started
    }

    /// Each dependency level at once: spawn every replica of the level, then wait for all of them.
    private func startServices(_ instances: [ServiceInstance], lab: RunningLab) async throws {
        for level in plan.startLevels {
            let group = instances.filter { level.contains($0.role) }
            options.log("starting \(group.map(\.name).joined(separator: ", "))…")
            var spawned: [(ServiceInstance, ChildProcess)] = []
            for instance in group {
                let process = try lab.spawn(instance)
                processes.withLock { $0[instance.name] = process }
                spawned.append((instance, process))
            }
            try writeProvisionalState()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for (instance, process) in spawned {
                    tasks.addTask { try await lab.waitUntilReady(instance, process) }
                }
                try await tasks.waitForAll()
            }
        }
    }

    /// The variant's `config:` knobs, through each instance's admin API (as `set_config` actions do).
    private func applyVariantKnobs(_ instances: [ServiceInstance]) async throws {
        for (role, override) in plan.variant.services where !override.config.isEmpty {
            for instance in instances where instance.role == role {
                do {
                    try await AdminRequest.send("PUT", instance.url + "/admin/config", body: .object(override.config))
                } catch {
                    throw RuntimeError("\(instance.name) refused its variant configuration \(JSONValue.object(override.config)): \(error)")
                }
            }
        }
    }

    // MARK: bookkeeping

    private func keep(_ handle: InfrastructureHandle) {
        handles.withLock { $0.append(handle) }
    }

    private func writeProvisionalState() throws {
        try LabRuntime.writeProvisionalState(plan, handles.withLock { $0 }, processes.withLock { $0 })
    }

    /// After a failed start: services first, then infrastructure in reverse start order.
    func stopEverything() async {
        await withTaskGroup(of: Void.self) { group in
            for process in processes.withLock({ Array($0.values) }) {
                group.addTask { await process.stop(signal: SIGTERM, grace: .seconds(5)) }
            }
        }
        for handle in handles.withLock({ $0 }).reversed() { await handle.stop() }
        plan.reservedPorts.releaseAll()
    }
}
