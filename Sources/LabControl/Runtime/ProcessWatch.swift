import Foundation
import LabKit
import Synchronization

/// Watches a running lab's processes — its services and its servers (Prometheus, Redis, PostgreSQL,
/// fault proxies) — so that one dying on its own is reported at once, with its exit status and the
/// last lines of its log, and ends the run, instead of surfacing later as symptoms (an error rate of
/// 1, measurements without data) behind an exit status of 0.
///
/// Exits the scenario causes are not reported: the runtime tells `ExpectedExits` before it kills or
/// restarts a service, before a service is asked to crash (the `abort` fault), and while an `infra`
/// command acts on a server.
///
/// ```swift
/// let watch = ProcessWatch(lab: lab, report: { exit in log("\(exit)") })
/// let run = try await watch.guarding { try await runner.run(variant: variant) }  // throws UnexpectedExit
/// try watch.finish()                      // stops watching; throws if something died meanwhile
/// ```
public final class ProcessWatch: Sendable {
    /// A process of the lab that ended without the scenario asking for it.
    public struct UnexpectedExit: Error, CustomStringConvertible, Sendable {
        public let name: String
        public let pid: pid_t
        public let status: ChildProcess.ExitStatus
        public let logFile: URL
        public let logTail: String

        public var description: String {
            "\(name) (pid \(pid)) \(status) on its own (no kill, restart or abort fault of the scenario); "
                + "last lines of \(logFile.path):\n\(logTail)"
        }
    }

    /// How often the processes are checked (a `waitpid` each; cheap).
    public static let interval: Duration = .milliseconds(200)

    private let lab: RunningLab
    private let report: @Sendable (UnexpectedExit) -> Void
    private let state = Mutex(State())
    private struct State {
        var first: UnexpectedExit?
        var reported: Set<pid_t> = []
        var poller: Task<Void, Never>?
        var onExit: [@Sendable () -> Void] = []
    }

    /// Starts watching at once; `report` is called for each unexpected exit, as it is seen.
    public init(lab: RunningLab, report: @escaping @Sendable (UnexpectedExit) -> Void) {
        self.lab = lab
        self.report = report
        let poller = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                self.check()
                try? await Task.sleep(for: Self.interval)
            }
        }
        state.withLock { $0.poller = poller }
    }

    deinit {
        state.withLock { $0.poller?.cancel() }
    }

    /// The first unexpected exit seen so far.
    public var failure: UnexpectedExit? { state.withLock { $0.first } }

    /// Runs `body`, cancelling it and throwing the `UnexpectedExit` as soon as a process of the lab
    /// dies on its own (or at once, if one already has).
    public func guarding<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        check()
        if let failure { throw failure }
        let task = Task { try await body() }
        let cancel: @Sendable () -> Void = { task.cancel() }
        state.withLock { $0.onExit.append(cancel) }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        if let failure { throw failure }
        return try result.get()
    }

    /// Stops watching; throws the first unexpected exit, if any happened.
    public func finish() throws {
        stop()
        if let failure { throw failure }
    }

    /// Stops watching (before the lab is brought down: those exits are wanted).
    public func stop() {
        state.withLock { $0.poller?.cancel() }
    }

    /// One look at every process.
    func check() {
        let expected = lab.exits
        for (name, process) in lab.watchedProcesses {
            guard let status = process.exitStatus, !expected.contains(process.pid) else { continue }
            // The kernel's OOM killer (a cgroup's memory.max) sends SIGKILL: the memory limit's
            // supervisor starts such an instance again and counts it.
            if status == .signaled(SIGKILL), lab.hasMemoryLimit(instance: name) { continue }
            let exit = UnexpectedExit(name: name, pid: process.pid, status: status, logFile: process.logFile, logTail: process.logTail(15))
            let (isNew, cancels) = state.withLock { state -> (Bool, [@Sendable () -> Void]) in
                guard state.reported.insert(process.pid).inserted else { return (false, []) }
                if state.first == nil { state.first = exit }
                return (true, state.onExit)
            }
            guard isNew else { continue }
            report(exit)
            cancels.forEach { $0() }
        }
    }
}

/// The processes whose end the scenario itself caused (or is about to), by pid.
public final class ExpectedExits: Sendable {
    private let pids = Mutex<Set<pid_t>>([])

    public init() {}

    public func expect(_ processes: [ChildProcess]) {
        pids.withLock { $0.formUnion(processes.map(\.pid)) }
    }

    public func contains(_ pid: pid_t) -> Bool { pids.withLock { $0.contains(pid) } }
}

extension RunningLab {
    /// Every process the lab runs now, by name: each service instance's current process and each
    /// server's (the OTLP receiver runs inside labctl and has none).
    var watchedProcesses: [(String, ChildProcess)] {
        instances.compactMap { instance in process(of: instance.name).map { (instance.name, $0) } } + infrastructureProcesses
    }

    /// Whether the instance runs under a `memory_limit` (its kills are the supervisor's to handle).
    func hasMemoryLimit(instance name: String) -> Bool {
        guard let role = instances.first(where: { $0.name == name })?.role else { return false }
        return manifest.service(role)?.memoryLimitBytes != nil
    }

    /// The service (every replica, or the one named) is about to end because the scenario says so.
    public func expectExit(of service: String) {
        let processes = ((try? instances(named: service)) ?? []).compactMap { process(of: $0.name) }
        exits.expect(processes)
    }

    /// An `infra` command may stop or replace that server's processes.
    func expectExits(ofInfrastructure name: String) {
        exits.expect(infrastructureProcesses.filter { $0.0 == name || $0.0.hasPrefix(name + "/") }.map(\.1))
    }
}
