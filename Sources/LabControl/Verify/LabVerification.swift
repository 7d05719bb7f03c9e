import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `labctl verify` as a library. The unit of work is one variant of one lab: `labctl run <lab>
/// --variant V` as a child process, isolated (its own state directory, port range, infrastructure,
/// Prometheus; only the cache — one PostgreSQL cluster template — is shared). `jobs` of them run
/// at a time, a lab's variants next to each other, so that before and after meet the same machine
/// at the same moment; when a lab's last variant is done, `labctl compare --from-results` judges
/// its expectations.
public struct LabVerification: Sendable {
    public let plan: VerificationPlan
    public let jobs: Int
    /// The `labctl` to run (normally this very executable).
    public let labctl: URL
    /// Where each lab's state, logs and results go: `<root>/<NN-slug>/`.
    public let root: URL
    public let labsDirectory: URL
    /// Told when a lab starts and when it finishes.
    public let events: @Sendable (Event) -> Void

    public enum Event: Sendable {
        case started(VerificationPlan.Job)
        case finished(VerificationResult)
    }

    public init(plan: VerificationPlan, jobs: Int, labctl: URL, root: URL, labsDirectory: URL, events: @escaping @Sendable (Event) -> Void)
    {
        self.plan = plan
        self.jobs = max(1, jobs)
        self.labctl = labctl
        self.root = root
        self.labsDirectory = labsDirectory
        self.events = events
    }

    /// One variant of one lab.
    struct Unit: Sendable {
        let job: Int
        let variant: String
    }

    /// What is known about a lab while its variants run.
    struct LabProgress: Sendable {
        var started: ContinuousClock.Instant?
        var remaining: Int
        var statuses: [String: ChildProcess.ExitStatus?] = [:]
    }

    /// Runs every job; results in plan order.
    public func run() async -> [VerificationResult] {
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for job in plan.jobs { prepare(job) }
        let units = plan.jobs.enumerated().flatMap { index, job in job.variants.map { Unit(job: index, variant: $0) } }
        let next = Shared(0)
        let progress = Shared(plan.jobs.map { LabProgress(started: nil, remaining: $0.variants.count) })
        let results = Shared<[Int: VerificationResult]>([:])
        let clock = ContinuousClock()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<min(jobs, units.count) {
                group.addTask {
                    while true {
                        let index = next.withLock { i in
                            defer { i += 1 }
                            return i
                        }
                        guard index < units.count else { return }
                        let unit = units[index]
                        let job = plan.jobs[unit.job]
                        let first = progress.withLock { labs in
                            defer { if labs[unit.job].started == nil { labs[unit.job].started = clock.now } }
                            return labs[unit.job].started == nil
                        }
                        if first { events(.started(job)) }
                        let status = await runVariant(unit, job: job, slot: index)
                        let done = progress.withLock { labs -> LabProgress? in
                            labs[unit.job].statuses[unit.variant] = status
                            labs[unit.job].remaining -= 1
                            return labs[unit.job].remaining == 0 ? labs[unit.job] : nil
                        }
                        if let done {
                            let result = await judge(job, statuses: done.statuses, since: done.started ?? clock.now)
                            results.withLock { $0[unit.job] = result }
                            events(.finished(result))
                        }
                    }
                }
            }
        }
        return results.withLock { all in plan.jobs.indices.compactMap { all[$0] } }
    }

    func directory(of job: VerificationPlan.Job) -> URL { root.appendingPathComponent(job.name, isDirectory: true) }

    func prepare(_ job: VerificationPlan.Job) {
        let directory = directory(of: job)
        try? FileManager.default.removeItem(at: directory)
        try? FileManager.default.createDirectory(at: directory.appendingPathComponent("variants"), withIntermediateDirectories: true)
    }

    /// `labctl run <lab> --variant V --duration-scale S --results-dir <lab>/variants`; nil when it
    /// ran past its time limit and was stopped.
    func runVariant(_ unit: Unit, job: VerificationPlan.Job, slot: Int) async -> ChildProcess.ExitStatus? {
        let directory = directory(of: job)
        let log = directory.appendingPathComponent("\(unit.variant).log")
        let state = directory.appendingPathComponent("state-\(unit.variant)", isDirectory: true)
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_STATE_DIR"] = state.path
        environment["LAB_CACHE_DIR"] = root.appendingPathComponent("cache", isDirectory: true).path
        let ports = VerificationPlan.portRange(forJob: slot)
        environment["LAB_PORT_RANGE"] = "\(ports.lowerBound)-\(ports.upperBound)"
        environment.removeValue(forKey: "OTEL_EXPORTER_OTLP_ENDPOINT")
        let arguments = [
            "run", job.name, "--variant", unit.variant, "--duration-scale", String(job.durationScale),
            "--results-dir", directory.appendingPathComponent("variants").path, "--labs-dir", labsDirectory.path, "--otlp-port", "0",
        ]
        do {
            let child = try ChildProcess.spawn(
                name: "labctl run \(job.name) \(unit.variant)", executable: labctl, arguments: arguments, environment: environment,
                directory: directory, logFile: log, deathSignal: SIGTERM)
            // Generous: a loaded machine runs slower, and a lab that never ends must not hold up CI.
            let limit = Duration.seconds(max(240, 4 * job.estimatedSeconds / Double(max(1, job.variants.count))))
            let status = await child.waitForExit(timeout: limit)
            if status == nil { await child.stop(signal: SIGTERM, grace: .seconds(30)) }
            // The servers' data can go; the log and the results stay.
            if status == .exited(0) { try? FileManager.default.removeItem(at: state) }
            return status
        } catch {
            try? "\(error)\n".write(to: log, atomically: true, encoding: .utf8)
            return .exited(127)
        }
    }

    /// `labctl compare <lab> --from-results <lab>/variants --json-file <lab>/results.json`.
    func judge(
        _ job: VerificationPlan.Job, statuses: [String: ChildProcess.ExitStatus?], since start: ContinuousClock.Instant
    ) async
        -> VerificationResult
    {
        let directory = directory(of: job)
        let log = directory.appendingPathComponent("compare.log")
        let results = directory.appendingPathComponent("results.json")
        var status: ChildProcess.ExitStatus? = .exited(0)
        var broken: [(String, ChildProcess.ExitStatus?)] = []
        for variant in job.variants {
            let variantStatus = statuses[variant] ?? nil
            if variantStatus != .exited(0) { broken.append((variant, variantStatus)) }
        }
        if broken.isEmpty {
            do {
                let child = try ChildProcess.spawn(
                    name: "labctl compare \(job.name)", executable: labctl,
                    arguments: [
                        "compare", job.name, "--from-results", directory.appendingPathComponent("variants").path,
                        "--json-file", results.path, "--labs-dir", labsDirectory.path,
                    ],
                    environment: ProcessInfo.processInfo.environment, directory: directory, logFile: log)
                status = await child.waitForExit(timeout: .seconds(60))
            } catch {
                try? "\(error)\n".write(to: log, atomically: true, encoding: .utf8)
                status = .exited(127)
            }
        }
        let wall = (ContinuousClock.now - start).seconds
        var result = VerificationResult.read(job: job, status: status, wallSeconds: wall, log: log, results: results)
        if !broken.isEmpty {
            result = result.failing(
                broken.map { variant, status in
                    let variantLog = directory.appendingPathComponent("\(variant).log")
                    let what =
                        status.map { "labctl run --variant \(variant) \($0)" }
                        ?? "variant \(variant) ran past its time limit and was stopped"
                    return "\(what); last lines of \(variantLog.path):\n\(LogTail.lastLines(of: variantLog, count: 15))"
                }, verdict: broken.contains { $0.1 == nil } ? .timedOut : .broken)
        }
        return result
    }
}
