import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keeps each replica of a service with a `memory_limit` under it, and starts it again when the
/// limit kills it: the supervisor a container orchestrator would be (compose: `mem_limit` and
/// `restart: on-failure`). Only deaths the limit caused are restarted: a scenario's `kill` or
/// `terminate` stays down.
///
/// Kills are counted per instance (`kills`), logged with the resident set at the moment, and
/// visible to PromQL as restarts: `changes(process_start_time_seconds{job="api"}[1m])`.
final class MemoryLimitSupervisor: Sendable {
    let enforcement: MemoryLimitEnforcement
    private let log: @Sendable (String) -> Void
    private let killCounts = Mutex<[String: Int]>([:])
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let cgroups = Mutex<[URL]>([])
    static let interval: Duration = .milliseconds(100)

    init(enforcement: MemoryLimitEnforcement = .current, log: @escaping @Sendable (String) -> Void) {
        self.enforcement = enforcement
        self.log = log
    }

    /// Kills by the memory limit so far, per instance.
    var kills: [String: Int] { killCounts.withLock { $0 } }

    /// Watches `instance` for as long as the lab runs (it may not run yet: `autostart: false`).
    func supervise(_ instance: ServiceInstance, limit: Int, lab: RunningLab) {
        let task = Task { [self] in await watch(instance, limit: limit, lab: lab) }
        tasks.withLock { $0.append(task) }
    }

    /// Stops watching (before the lab's processes are stopped) and removes the cgroups it made.
    func stop() async {
        let running = tasks.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
        for cgroup in cgroups.withLock({ $0 }) { rmdir(cgroup.path) }
    }

    private func watch(_ instance: ServiceInstance, limit: Int, lab: RunningLab) async {
        var watched: pid_t = 0
        var killedByUs: pid_t = 0
        var cgroup: InstanceCgroup?
        var oomKillsSeen = 0
        while !Task.isCancelled {
            guard let process = lab.process(of: instance.name) else {
                try? await Task.sleep(for: Self.interval)
                continue
            }
            if process.pid != watched {
                watched = process.pid
                if case .cgroup(let parent) = enforcement {
                    cgroup = cgroup ?? makeCgroup(parent: parent, lab: lab, instance: instance, limit: limit)
                    cgroup?.add(process.pid)
                    oomKillsSeen = cgroup?.oomKills ?? 0
                }
            }
            if let status = process.exitStatus {
                let oomKills = cgroup?.oomKills ?? 0
                let byLimit = killedByUs == process.pid || oomKills > oomKillsSeen
                oomKillsSeen = oomKills
                killedByUs = 0
                guard byLimit, !lab.isShuttingDown else {
                    // Not ours to restart (a scenario's kill or terminate, a crash): wait for a new process.
                    while !Task.isCancelled, lab.process(of: instance.name)?.pid == process.pid {
                        try? await Task.sleep(for: Self.interval)
                    }
                    continue
                }
                let count = killCounts.withLock { counts in
                    counts[instance.name, default: 0] += 1
                    return counts[instance.name]!
                }
                log(
                    "memory limit: \(instance.name) (pid \(process.pid)) \(status) past \(MemorySize.text(limit)) "
                        + "[kill \(count)]; starting it again")
                do {
                    try await lab.restart(instance.name)
                } catch {
                    log("memory limit: \(instance.name) did not start again: \(error)")
                    return
                }
                continue
            }
            if case .rssWatchdog = enforcement, let rss = ResidentMemory.bytes(of: process.pid), rss > limit {
                killedByUs = process.pid
                lab.exits.expect([process])
                process.send(SIGKILL, toGroup: true)
                log(
                    "memory limit: \(instance.name) (pid \(process.pid)) resident \(MemorySize.text(rss)) > \(MemorySize.text(limit)): SIGKILL"
                )
            }
            try? await Task.sleep(for: Self.interval)
        }
    }

    private func makeCgroup(parent: URL, lab: RunningLab, instance: ServiceInstance, limit: Int) -> InstanceCgroup? {
        let directory = parent.appendingPathComponent("distributed-lab-\(getpid())-\(lab.manifest.id)-\(instance.name)")
        guard let cgroup = InstanceCgroup(directory: directory, limit: limit) else {
            log("memory limit: could not make \(directory.path) (\(String(cString: strerror(errno)))); \(instance.name) runs unlimited")
            return nil
        }
        cgroups.withLock { $0.append(directory) }
        return cgroup
    }
}

/// One instance's cgroup v2: `memory.max` = the limit, no swap.
struct InstanceCgroup {
    let directory: URL

    init?(directory: URL, limit: Int) {
        if mkdir(directory.path, 0o755) != 0 && errno != EEXIST { return nil }
        guard MemoryLimitEnforcement.write("\(limit)", to: directory.appendingPathComponent("memory.max")) else { return nil }
        MemoryLimitEnforcement.write("0", to: directory.appendingPathComponent("memory.swap.max"))
        self.directory = directory
    }

    func add(_ pid: pid_t) {
        MemoryLimitEnforcement.write("\(pid)", to: directory.appendingPathComponent("cgroup.procs"))
    }

    /// `oom_kill` of memory.events: processes the kernel killed for the limit.
    var oomKills: Int {
        let events = MemoryLimitEnforcement.read(directory.appendingPathComponent("memory.events")) ?? ""
        for line in events.split(separator: "\n") where line.hasPrefix("oom_kill ") {
            return Int(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }
}
