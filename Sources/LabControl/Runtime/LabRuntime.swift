import LabKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The native runtime: starts a lab's infrastructure and services as local processes.
///
/// ```swift
/// let lab = try await LabRuntime.up(entry, options: RuntimeOptions(stateDirectory: dotLab, variant: "after"))
/// lab.endpoints.services["frontend"]      // ["http://127.0.0.1:41234"]
/// try await lab.kill("backend"); try await lab.restart("backend")
/// await lab.down()
/// ```
/// Order: OTLP receiver → infrastructure (manifest order) → services (dependencies first, each
/// role ready on /readyz before its dependents start) → variant config knobs → Prometheus
/// scraping every service. Everything lives under `<state>/<lab id>/`; `<state>/state.json`
/// records the processes so another labctl can stop them (`LabRuntime.down(stateDirectory:)`).
public enum LabRuntime {
    public static func up(_ entry: LabCatalog.Entry, options: RuntimeOptions) async throws -> RunningLab {
        let manifest = entry.manifest
        guard let variant = manifest.variants[options.variant] else {
            throw RuntimeError("\(manifest.id) has no variant '\(options.variant)' (variants: \(manifest.variantNames.joined(separator: ", ")))")
        }
        let support = NativeSupport.check(manifest, locator: options.locator)
        if !support.unsupported.isEmpty {
            throw RuntimeError("\(manifest.id) needs \(support.unsupported.joined(separator: ", ")), which the native runtime cannot start yet")
        }
        if let missing = support.missing.first(where: { $0.program != "prometheus" || options.prometheus }) { throw missing }
        let labsvc = try options.resolveLabsvc()
        try await claimStateDirectory(options)

        let files = FileManager.default
        let labDirectory = options.stateDirectory.appendingPathComponent(manifest.id, isDirectory: true)
        let logs = labDirectory.appendingPathComponent("logs", isDirectory: true)
        try? files.removeItem(at: logs)
        try files.createDirectory(at: logs, withIntermediateDirectories: true)

        var started: [InfrastructureHandle] = []
        var processes: [String: ChildProcess] = [:]
        func cleanUp() async {
            for process in processes.values { await process.stop(signal: SIGTERM, grace: .seconds(5)) }
            for handle in started.reversed() { await handle.stop() }
            LabState.remove(from: options.stateDirectory)
        }
        do {
            // 1. The OTLP receiver.
            var otlpEndpoint: String?
            switch options.otlp {
            case .none: break
            case .external(let endpoint): otlpEndpoint = endpoint
            case .embedded(let port):
                let store = try TraceStore(directory: options.stateDirectory.appendingPathComponent("traces").path)
                for note in store.statistics.recoveryNotes { options.log("trace store: \(note)") }
                let receiver = OTLPReceiver(store: store, configuration: .init(port: port))
                let bound = try await receiver.start()
                otlpEndpoint = "http://127.0.0.1:\(bound)"
                started.append(InfrastructureHandle(name: "otlp-receiver", process: nil, stop: { await receiver.stop() }))
                options.log("OTLP receiver  \(otlpEndpoint!)  (traces in \(store.directory))")
            }

            // 2. Infrastructure.
            var infrastructureURLs: [String: String] = [:]
            var prometheusRules: [URL] = []
            var proxyAdmins: [String: String] = [:]          // infrastructure name → fault proxy admin URL
            var proxyScrapeTargets: [PrometheusScrapeJob] = []
            for item in manifest.infrastructure {
                let directory = labDirectory.appendingPathComponent(item.name, isDirectory: true)
                switch item.kind {
                case .redis:
                    options.log("starting redis-server (\(item.name))…")
                    let redis = try await RedisServer.start(directory: directory, locator: options.locator)
                    infrastructureURLs[item.name] = redis.url
                    started.append(InfrastructureHandle(name: item.name, process: redis.process, stop: { await redis.stop() }))
                case .postgres:
                    options.log("starting postgres (\(item.name))…")
                    let initSQL = try item.initSQL.map { try String(contentsOf: entry.directory.appendingPathComponent($0), encoding: .utf8) }
                    let postgres = try await PostgresServer.start(directory: directory, initSQL: initSQL, locator: options.locator)
                    infrastructureURLs[item.name] = postgres.url
                    started.append(InfrastructureHandle(name: item.name, process: postgres.process, stop: { await postgres.stop() }))
                case .prometheus:
                    prometheusRules += item.rules.map { ruleFile($0, lab: entry) }   // started last, below
                case .other(let kind):
                    throw RuntimeError("\(kind) cannot run natively yet")
                }
                if item.proxied, let url = infrastructureURLs[item.name], let upstream = URLComponents(string: url)?.port {
                    options.log("starting fault proxy in front of \(item.name)…")
                    let proxy = try await FaultProxyProcess.start(
                        name: item.name, upstreamPort: upstream, labsvc: labsvc,
                        directory: directory.appendingPathComponent("proxy", isDirectory: true), readyTimeout: options.readyTimeout)
                    infrastructureURLs[item.name] = FaultProxyProcess.rewrite(url, toPort: proxy.listenPort)
                    proxyAdmins[item.name] = proxy.adminURL
                    proxyScrapeTargets.append(PrometheusScrapeJob(
                        name: "\(item.name)-proxy", targets: ["127.0.0.1:\(proxy.adminPort)"],
                        labels: ["lab": manifest.id, "variant": variant.name]))
                    started.append(InfrastructureHandle(name: "\(item.name)-proxy", process: proxy.process, stop: {
                        await proxy.process.stop(signal: SIGTERM, grace: .seconds(5))
                    }))
                }
                try writeProvisionalState(manifest, options, labDirectory, started, processes)
            }

            // 3. Services: ports first (so every peer URL is known), then start in dependency order.
            var serviceURLs: [String: [String]] = [:]
            var ports: [String: Int] = [:]
            for service in manifest.services {
                for replica in 1...service.replicas {
                    let name = ServiceInstance.name(role: service.role, replica: replica, replicas: service.replicas)
                    ports[name] = try FreePort.next()
                    serviceURLs[service.role, default: []].append("http://127.0.0.1:\(ports[name]!)")
                }
            }
            let wiring = ServiceEnvironment(
                lab: manifest, variant: variant, serviceURLs: serviceURLs, infrastructureURLs: infrastructureURLs,
                otlpEndpoint: otlpEndpoint, basics: ChildProcess.minimalEnvironment())
            var instances: [ServiceInstance] = []
            for service in ServiceOrder.startOrder(manifest.services) {
                for replica in 1...service.replicas {
                    let name = ServiceInstance.name(role: service.role, replica: replica, replicas: service.replicas)
                    instances.append(ServiceInstance(
                        role: service.role, name: name, replica: replica, port: ports[name]!, arguments: service.arguments,
                        environment: wiring.environment(for: service, instance: name, port: ports[name]!),
                        logFile: logs.appendingPathComponent("\(name).log")))
                }
            }
            var endpoints = LabEndpoints(
                lab: manifest.id, variant: variant.name, services: serviceURLs,
                instances: Dictionary(uniqueKeysWithValues: instances.map { ($0.name, $0.url) }),
                infrastructure: infrastructureURLs, prometheus: nil, otlp: otlpEndpoint,
                logs: Dictionary(uniqueKeysWithValues: instances.map { ($0.name, $0.logFile.path) }))
            for handle in started { if let process = handle.process { endpoints.logs[handle.name] = process.logFile.path } }
            for (name, admin) in proxyAdmins { endpoints.infrastructure["\(name)-proxy"] = admin }

            let lab = RunningLab(
                manifest: manifest, variant: variant.name, stateDirectory: options.stateDirectory, labDirectory: labDirectory,
                instances: instances, endpoints: endpoints, labsvc: labsvc, readyTimeout: options.readyTimeout,
                log: options.log, processes: [:], infrastructure: [])
            for role in ServiceOrder.startOrder(manifest.services).map(\.role) {
                let replicas = instances.filter { $0.role == role }
                options.log("starting \(replicas.map(\.name).joined(separator: ", "))…")
                var spawned: [(ServiceInstance, ChildProcess)] = []
                for instance in replicas {
                    let process = try lab.spawn(instance)
                    processes[instance.name] = process
                    spawned.append((instance, process))
                }
                try writeProvisionalState(manifest, options, labDirectory, started, processes)
                for (instance, process) in spawned { try await lab.waitUntilReady(instance, process) }
                for (knob, value) in variant.services[role]?.config ?? [:] {
                    for instance in replicas { try applyConfig(instance, [knob: value]) }
                }
            }

            // 4. Prometheus scraping every service.
            if options.prometheus {
                options.log("starting prometheus…")
                let jobs = proxyScrapeTargets + manifest.services.map { service in
                    PrometheusScrapeJob(name: service.role, targets: instances.filter { $0.role == service.role }.map { "127.0.0.1:\($0.port)" },
                                        labels: ["lab": manifest.id, "variant": variant.name])
                }
                let prometheus = try await PrometheusServer.start(
                    directory: labDirectory.appendingPathComponent("prometheus", isDirectory: true), scrapeTargets: jobs,
                    scrapeInterval: options.scrapeInterval, ruleFiles: prometheusRules, locator: options.locator)
                started.append(InfrastructureHandle(name: "prometheus", process: prometheus.process, stop: { await prometheus.stop() }))
                endpoints.prometheus = prometheus.baseURL.absoluteString
                endpoints.infrastructure["prometheus"] = prometheus.baseURL.absoluteString
                endpoints.logs["prometheus"] = prometheus.process.logFile.path
            }

            let running = RunningLab(
                manifest: manifest, variant: variant.name, stateDirectory: options.stateDirectory, labDirectory: labDirectory,
                instances: instances, endpoints: endpoints, labsvc: labsvc, readyTimeout: options.readyTimeout,
                log: options.log, processes: processes, infrastructure: started)
            try running.writeState()
            try endpoints.write(to: options.stateDirectory)
            return running
        } catch {
            await cleanUp()
            throw error
        }
    }

    /// A rule file named in the manifest: relative to the lab directory, else to the repository.
    static func ruleFile(_ path: String, lab: LabCatalog.Entry) -> URL {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
        let local = lab.directory.appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        return lab.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(path)
    }

    /// PUT /admin/config with the variant's knobs.
    static func applyConfig(_ instance: ServiceInstance, _ knobs: [String: JSONValue]) throws {
        let body = JSONValue.object(knobs).encodedString()
        guard let answer = Probe.http(method: "PUT", port: instance.port, path: "/admin/config", jsonBody: body, timeout: .seconds(5)),
              (200..<300).contains(answer.status)
        else {
            throw RuntimeError("\(instance.name) refused its variant configuration \(body)")
        }
    }

    static func writeProvisionalState(_ manifest: LabManifest, _ options: RuntimeOptions, _ labDirectory: URL,
                                      _ started: [InfrastructureHandle], _ processes: [String: ChildProcess]) throws {
        let services = processes.map { name, process in
            LabState.Process(name: name, kind: .service, pid: process.pid, pgid: process.pgid, log: process.logFile.path)
        }
        try LabState(
            lab: manifest.id, variant: options.variant, controllerPid: getpid(),
            controllerCommandLine: ProcessTable.entry(getpid())?.commandLine ?? [],
            labDirectory: labDirectory.path, startedAt: Date(),
            processes: started.flatMap(\.stateProcesses) + services.sorted { $0.name < $1.name }
        ).write(to: options.stateDirectory)
    }

    /// Refuses to start while another lab runs here; cleans up after a controller that died.
    static func claimStateDirectory(_ options: RuntimeOptions) async throws {
        guard let state = LabState.read(from: options.stateDirectory) else { return }
        if state.controllerIsAlive {
            throw LabAlreadyRunningError(lab: state.lab, variant: state.variant, controllerPid: state.controllerPid)
        }
        options.log("cleaning up after \(state.lab), whose controller (pid \(state.controllerPid)) is gone")
        await cleanUpLeftovers(state)
        LabState.remove(from: options.stateDirectory)
    }

    /// Stops the lab recorded in `stateDirectory`, from any process: asks its controller to shut
    /// down (SIGTERM) and waits; if the controller is gone or does not finish, ends the recorded
    /// process groups itself. Returns what it stopped, nil when nothing was running.
    @discardableResult
    public static func down(stateDirectory: URL, log: @Sendable (String) -> Void = { _ in }) async -> LabState? {
        guard let state = LabState.read(from: stateDirectory) else { return nil }
        if state.controllerIsAlive && state.controllerPid != getpid() {
            log("asking labctl (pid \(state.controllerPid)) to stop \(state.lab)…")
            Glibc.kill(state.controllerPid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(60)
            while state.controllerIsAlive && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
            }
            if state.controllerIsAlive {
                log("labctl (pid \(state.controllerPid)) did not stop within 60s; killing it")
                Glibc.kill(state.controllerPid, SIGKILL)
            }
        }
        await cleanUpLeftovers(state)
        LabState.remove(from: stateDirectory)
        try? FileManager.default.removeItem(at: LabEndpoints.file(in: stateDirectory))
        return state
    }

    /// Ends recorded processes (and anything running from the lab's directory) that outlived
    /// their controller. They are not our children, so init reaps them.
    static func cleanUpLeftovers(_ state: LabState) async {
        let live = state.liveProcesses
        for process in live { Glibc.kill(-process.pgid, SIGCONT); Glibc.kill(-process.pgid, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(10)
        while !state.liveProcesses.isEmpty && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        for process in state.liveProcesses { Glibc.kill(-process.pgid, SIGKILL) }
        for stray in ProcessTable.labPrograms(workingIn: state.labDirectory) where stray.pid != getpid() {
            Glibc.kill(stray.pid, SIGKILL)
        }
    }
}

/// `labctl up` while another lab runs from the same state directory.
public struct LabAlreadyRunningError: Error, CustomStringConvertible {
    public let lab: String
    public let variant: String
    public let controllerPid: Int32
    public var description: String {
        "\(lab) (\(variant)) is already running (labctl pid \(controllerPid)); stop it first with `labctl down`"
    }
}
