import Foundation
import LabKit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A lab the native runtime started: its services, infrastructure and receiver, with process
/// control for the scenario runner (kill, stop, continue, restart) and `down()`.
public final class RunningLab: Sendable {
    public let manifest: LabManifest
    public let variant: String
    public let stateDirectory: URL
    /// `.lab/<lab id>/`
    public let labDirectory: URL
    /// In start order (dependencies first).
    public let instances: [ServiceInstance]
    public let endpoints: LabEndpoints
    let labsvc: URL
    let readyTimeout: Duration
    let log: @Sendable (String) -> Void

    private let processes: Mutex<[String: ChildProcess]>
    private let infrastructure: Mutex<[InfrastructureHandle]>
    /// How many targets the lab's Prometheus scrapes (services, proxies, exporters).
    public let scrapeTargetCount: Int
    /// Infrastructure name → what its `infra` scenario actions do.
    private let commands: [String: @Sendable (String, JSONValue) async throws -> String]
    private let isDown = Mutex(false)
    /// Holds services with a `memory_limit` to it, restarting what the limit kills.
    let memoryLimits: MemoryLimitSupervisor
    /// The ports of instances that start later, held until they do.
    let reservedPorts: PortReservations
    /// Exits the scenario caused (kill, restart, abort faults, infra commands): `ProcessWatch` skips them.
    let exits = ExpectedExits()

    init(
        manifest: LabManifest, variant: String, stateDirectory: URL, labDirectory: URL, instances: [ServiceInstance],
        endpoints: LabEndpoints, labsvc: URL, readyTimeout: Duration, log: @escaping @Sendable (String) -> Void,
        processes: [String: ChildProcess], infrastructure: [InfrastructureHandle],
        commands: [String: @Sendable (String, JSONValue) async throws -> String] = [:], scrapeTargetCount: Int? = nil,
        reservedPorts: PortReservations = PortReservations()
    ) {
        self.manifest = manifest
        self.variant = variant
        self.stateDirectory = stateDirectory
        self.labDirectory = labDirectory
        self.instances = instances
        self.endpoints = endpoints
        self.labsvc = labsvc
        self.readyTimeout = readyTimeout
        self.log = log
        self.processes = Mutex(processes)
        self.infrastructure = Mutex(infrastructure)
        self.commands = commands
        self.scrapeTargetCount = scrapeTargetCount ?? instances.count
        self.memoryLimits = MemoryLimitSupervisor(log: log)
        self.reservedPorts = reservedPorts
    }

    /// True once `down()` has begun.
    var isShuttingDown: Bool { isDown.withLock { $0 } }

    /// Starts watching every instance of a service with a `memory_limit` (see `MemoryLimitSupervisor`).
    func superviseMemoryLimits() {
        for instance in instances {
            guard let limit = manifest.service(instance.role)?.memoryLimitBytes else { continue }
            memoryLimits.supervise(instance, limit: limit, lab: self)
        }
    }

    /// Takes over the service processes the launch started.
    func adopt(processes started: [String: ChildProcess]) {
        processes.withLock { $0.merge(started) { _, new in new } }
    }

    /// The current process of an instance (it changes on restart).
    public func process(of instance: String) -> ChildProcess? { processes.withLock { $0[instance] } }

    /// The instances a name refers to: every replica of a role, or the one instance named.
    public func instances(named service: String) throws -> [ServiceInstance] {
        let matching = instances.filter { $0.role == service || $0.name == service }
        guard !matching.isEmpty else {
            throw RuntimeError("no service '\(service)' in \(manifest.id) (services: \(instances.map(\.name).joined(separator: ", ")))")
        }
        return matching
    }

    // MARK: process control

    /// SIGKILL: the process dies at once, without cleanup (a crash).
    public func kill(_ service: String) async throws {
        for instance in try instances(named: service) {
            guard let process = process(of: instance.name) else { continue }
            exits.expect([process])
            process.send(SIGKILL, toGroup: true)
            process.send(SIGCONT, toGroup: true) // a stopped process dies only once continued
            await process.waitForExit(timeout: .seconds(10))
            log("killed \(instance.name) (pid \(process.pid))")
        }
    }

    /// SIGSTOP: the process stays but answers nothing (a hang, a GC pause, a VM freeze).
    public func stop(_ service: String) async throws {
        for instance in try instances(named: service) {
            process(of: instance.name)?.send(SIGSTOP, toGroup: true)
            log("stopped (SIGSTOP) \(instance.name)")
        }
    }

    /// SIGCONT: a stopped process runs again.
    public func cont(_ service: String) async throws {
        for instance in try instances(named: service) {
            process(of: instance.name)?.send(SIGCONT, toGroup: true)
            log("continued \(instance.name)")
        }
    }

    /// Ends the instance's process if it still runs, starts it again on the same port and
    /// waits until it is ready.
    public func restart(_ service: String) async throws {
        for instance in try instances(named: service) {
            if let old = process(of: instance.name) {
                exits.expect([old])
                old.send(SIGCONT, toGroup: true)
                await old.stop(signal: SIGTERM, grace: .seconds(10))
            }
            let process = try spawn(instance)
            processes.withLock { $0[instance.name] = process }
            try await waitUntilReady(instance, process)
            log("restarted \(instance.name) (pid \(process.pid))")
        }
        try? writeState()
    }

    /// Starts the instances that do not run (`autostart: false`, or after `terminate`/`kill`) and
    /// waits until each is ready. One that already runs is an error: the scenario expected otherwise.
    public func start(_ service: String) async throws {
        for instance in try instances(named: service) {
            if let running = process(of: instance.name), running.isRunning {
                throw RuntimeError("\(instance.name) is already running (pid \(running.pid))")
            }
            reservedPorts.release(instance.port)
            let process = try spawn(instance)
            processes.withLock { $0[instance.name] = process }
            try await waitUntilReady(instance, process)
            log("started \(instance.name) (pid \(process.pid))")
        }
        try? writeState()
    }

    /// SIGTERM, the graceful way a deployment stops a version: the service stops accepting, lets
    /// its in-flight requests finish and exits. SIGKILL after 30 s. It stays down.
    public func terminate(_ service: String) async throws {
        for instance in try instances(named: service) {
            guard let process = process(of: instance.name), process.isRunning else { continue }
            let clock = ContinuousClock()
            let started = clock.now
            exits.expect([process])
            process.send(SIGCONT, toGroup: true)
            await process.stop(signal: SIGTERM, grace: .seconds(30))
            log(
                "terminated \(instance.name) (pid \(process.pid)) in \(clock.now - started): \(process.exitStatus.map { "\($0)" } ?? "gone")"
            )
        }
    }

    public func infrastructureURL(_ name: String) -> String? { endpoints.infrastructure[name] }

    // MARK: shutdown

    /// Asks a piece of infrastructure to do something (a scenario's `infra` action): switch a
    /// balancer, promote a standby, … What it answers is logged.
    public func command(_ infrastructure: String, _ name: String, _ arguments: JSONValue) async throws -> String {
        guard let command = commands[infrastructure] else {
            let known = commands.keys.sorted()
            throw RuntimeError(
                "no infrastructure '\(infrastructure)' takes commands in \(manifest.id)"
                    + (known.isEmpty ? "" : " (these do: \(known.joined(separator: ", ")))"))
        }
        expectExits(ofInfrastructure: infrastructure)
        return try await command(name, arguments)
    }

    /// Each server's process, by name (`prometheus`, `redis`, `redis-proxy`, `postgres/standby-1`).
    var infrastructureProcesses: [(String, ChildProcess)] {
        infrastructure.withLock { $0.compactMap { handle in handle.process.map { (handle.name, $0) } } }
    }

    /// Stops services (all at once), then infrastructure in reverse start order (Prometheus and the
    /// receiver last). Leaves no process; removes state.json and endpoints.json. Safe to call twice.
    public func down() async {
        guard
            isDown.withLock({ done in
                defer { done = true }
                return !done
            })
        else { return }
        await memoryLimits.stop()
        reservedPorts.releaseAll()
        // Every exit from here on is ours: a watch still attached (the console's, across a switch) says nothing.
        exits.expect(instances.compactMap { process(of: $0.name) } + infrastructureProcesses.map(\.1))
        await withTaskGroup(of: Void.self) { group in
            for instance in instances {
                guard let process = process(of: instance.name) else { continue }
                group.addTask {
                    process.send(SIGCONT, toGroup: true)
                    await process.stop(signal: SIGTERM, grace: .seconds(10))
                }
            }
        }
        let handles = infrastructure.withLock { $0 }
        for handle in handles.reversed() {
            await handle.stop()
        }
        LabState.remove(from: stateDirectory)
        try? FileManager.default.removeItem(at: LabEndpoints.file(in: stateDirectory))
        log("\(manifest.id) is down")
    }

    // MARK: internals shared with LabRuntime

    func spawn(_ instance: ServiceInstance) throws -> ChildProcess {
        try ChildProcess.spawn(
            name: instance.name, executable: labsvc, arguments: [manifest.id, instance.role] + instance.arguments,
            environment: instance.environment, directory: labDirectory, logFile: instance.logFile)
    }

    func waitUntilReady(_ instance: ServiceInstance, _ process: ChildProcess) async throws {
        let url = instance.url + "/readyz"
        do {
            try await Readiness.wait(for: process, what: "service \(instance.name)", timeout: readyTimeout, interval: .milliseconds(50)) {
                await AdminRequest.status(url)?.0 == 200
            }
        } catch let error as ServerStartError {
            let readiness = await AdminRequest.status(url).map { " (/readyz answered \($0.0): \($0.1.prefix(200)))" } ?? ""
            throw RuntimeError(
                "\(error.server) failed to start: \(error.reason)\(readiness); last lines of \(instance.logFile.path):\n\(error.logTail)")
        }
    }

    func writeState() throws {
        let services = instances.compactMap { instance -> LabState.Process? in
            guard let process = process(of: instance.name) else { return nil }
            return .init(name: instance.name, kind: .service, pid: process.pid, pgid: process.pgid, log: instance.logFile.path)
        }
        let infra = infrastructure.withLock { $0 }.flatMap(\.stateProcesses)
        try LabState(
            lab: manifest.id, variant: variant, controllerPid: getpid(),
            controllerCommandLine: ProcessTable.entry(getpid())?.commandLine ?? [],
            labDirectory: labDirectory.path, startedAt: Date(), processes: infra + services
        ).write(to: stateDirectory)
    }
}

/// Something the runtime started besides the services (a server or the OTLP receiver).
struct InfrastructureHandle: Sendable {
    let name: String
    let process: ChildProcess?
    let stop: @Sendable () async -> Void

    var stateProcesses: [LabState.Process] {
        guard let process else { return [] }
        return [.init(name: name, kind: .infrastructure, pid: process.pid, pgid: process.pgid, log: process.logFile.path)]
    }
}

extension RunningLab: LabTarget {
    public func serviceURLs(_ service: String) -> [String] {
        ((try? instances(named: service)) ?? []).map(\.url)
    }

    /// The admin API of the fault proxy in front of `name` (infrastructure marked `proxied: true`).
    public func proxyAdminURL(_ name: String) -> String? { endpoints.infrastructure["\(name)-proxy"] }

    public var prometheusURL: String? { endpoints.prometheus }
}
