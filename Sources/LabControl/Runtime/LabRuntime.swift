import Foundation
import LabKit

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
/// Order: Prometheus first (it scrapes a new target only about five seconds after it starts, so
/// everything else starts meanwhile) → OTLP receiver → infrastructure, all at once → services by
/// dependency level (a level's replicas start together; each level is ready on /readyz before
/// the next starts) → variant config knobs. Everything lives under `<state>/<lab id>/`;
/// `<state>/state.json` records the processes so another labctl can stop them
/// (`LabRuntime.down(stateDirectory:)`). `options.timings` receives how long each step took.
public enum LabRuntime {
    public static func up(_ entry: LabCatalog.Entry, options: RuntimeOptions, prepared: PreparedStart? = nil) async throws -> RunningLab {
        var plan = try prepared?.plan ?? LaunchPlan(entry, options: options)
        plan.options = options
        if plan.variant.name != options.variant || plan.entry.manifest != entry.manifest {
            throw RuntimeError(
                "the prepared start is for \(plan.manifest.id) (\(plan.variant.name)), not \(entry.manifest.id) (\(options.variant))")
        }
        do {
            try await claimStateDirectory(options)
        } catch {
            await prepared?.cancel()
            throw error
        }
        let files = FileManager.default
        try? files.removeItem(at: plan.logs)
        try files.createDirectory(at: plan.logs, withIntermediateDirectories: true)
        let launch = Launch(plan: plan, prepared: prepared)
        do {
            return try await launch.run()
        } catch {
            await launch.stopEverything()
            LabState.remove(from: options.stateDirectory)
            throw error
        }
    }

    /// Chooses the ports of a start of `entry` and starts its Prometheus now, scraping them:
    /// Prometheus takes about five seconds to scrape a new target, so a comparison prepares the next
    /// variant's start while the current one runs. `up(…, prepared:)` uses it (or `cancel()` it).
    public static func prepare(_ entry: LabCatalog.Entry, options: RuntimeOptions) async throws -> PreparedStart {
        let plan = try LaunchPlan(entry, options: options)
        let prometheus = options.prometheus ? try await startPrometheus(plan) : nil
        return PreparedStart(plan: plan, prometheus: prometheus)
    }

    static func startPrometheus(_ plan: LaunchPlan) async throws -> PrometheusServer {
        let rules = plan.manifest.infrastructure.flatMap(\.rules).map { ruleFile($0, lab: plan.entry) }
        return try await PrometheusServer.start(
            directory: plan.prometheusDirectory, scrapeTargets: plan.scrapeJobs,
            scrapeInterval: plan.options.scrapeInterval, ruleFiles: rules, locator: plan.options.locator)
    }

    /// A rule file named in the manifest: relative to the lab directory, else to the repository.
    static func ruleFile(_ path: String, lab: LabCatalog.Entry) -> URL {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
        let local = lab.directory.appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        return lab.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(path)
    }

    static func writeProvisionalState(_ plan: LaunchPlan, _ handles: [InfrastructureHandle], _ processes: [String: ChildProcess]) throws {
        let services = processes.map { name, process in
            LabState.Process(name: name, kind: .service, pid: process.pid, pgid: process.pgid, log: process.logFile.path)
        }
        try LabState(
            lab: plan.manifest.id, variant: plan.variant.name, controllerPid: getpid(),
            controllerCommandLine: ProcessTable.entry(getpid())?.commandLine ?? [],
            labDirectory: plan.labDirectory.path, startedAt: Date(),
            processes: handles.flatMap(\.stateProcesses) + services.sorted { $0.name < $1.name }
        ).write(to: plan.options.stateDirectory)
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
        for process in live {
            Glibc.kill(-process.pgid, SIGCONT)
            Glibc.kill(-process.pgid, SIGTERM)
        }
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

/// A start of a lab made ready ahead of time (`LabRuntime.prepare`): its ports chosen and its
/// Prometheus already running.
public final class PreparedStart: Sendable {
    let plan: LaunchPlan
    let prometheus: PrometheusServer?

    init(plan: LaunchPlan, prometheus: PrometheusServer?) {
        self.plan = plan
        self.prometheus = prometheus
    }

    public var variant: String { plan.variant.name }

    /// Stops what was prepared, when the start will not happen.
    public func cancel() async {
        await prometheus?.stop()
        plan.reservedPorts.releaseAll()
    }
}
