import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How the native runtime holds a service to its `memory_limit`, chosen once per machine:
///
/// - **cgroup v2** where the kernel lets labctl make one: each instance gets a cgroup of its own
///   with `memory.max` = the limit (and no swap); past it the kernel's OOM killer ends the process,
///   exactly as a container runtime's memory limit does.
/// - **RSS watchdog** everywhere else (no cgroup v2 memory controller, or no right to use it):
///   labctl reads the process's resident set (`/proc/<pid>/statm`) every 100 ms and SIGKILLs it once
///   it is past the limit. Coarser (the process may overshoot by what it allocates in 100 ms, and
///   page cache is not counted), but the same effect a learner sees: the service dies and restarts.
///
/// Either way the runtime then starts the instance again and counts it (`MemoryLimitSupervisor`).
public enum MemoryLimitEnforcement: Sendable, Equatable, CustomStringConvertible {
    /// Instance cgroups are made under this directory (memory controller enabled for its children).
    case cgroup(parent: URL)
    /// Why cgroup v2 is not used here.
    case rssWatchdog(why: String)

    public var description: String {
        switch self {
        case .cgroup(let parent): "cgroup v2 memory.max (under \(parent.path)); the kernel's OOM killer ends a process past its limit"
        case .rssWatchdog(let why): "labctl's RSS watchdog (every 100 ms; SIGKILL past the limit), because \(why)"
        }
    }

    /// What this machine allows (checked once per labctl process).
    public static let current: MemoryLimitEnforcement = detect()

    static func detect(
        mountInfo: String? = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8),
        ownCgroup: String? = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
    ) -> MemoryLimitEnforcement {
        guard let mount = cgroup2Mount(mountInfo ?? "") else {
            return .rssWatchdog(why: "no cgroup v2 hierarchy is mounted")
        }
        let path = (ownCgroup ?? "").split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "/"
        let own = URL(fileURLWithPath: mount + (path == "/" ? "" : path), isDirectory: true)
        let controllers = read(own.appendingPathComponent("cgroup.controllers")) ?? ""
        guard controllers.split(separator: " ").contains("memory") else {
            let listed = controllers.trimmingCharacters(in: .whitespacesAndNewlines)
            return .rssWatchdog(
                why: "the cgroup v2 hierarchy at \(mount) has no memory controller "
                    + "(it offers: \(listed.isEmpty ? "nothing" : listed); memory is bound to cgroup v1 here)")
        }
        // Children of our cgroup get a memory controller only if it is enabled in its subtree.
        let subtree = own.appendingPathComponent("cgroup.subtree_control")
        if !(read(subtree) ?? "").split(separator: " ").contains("memory") {
            guard write("+memory", to: subtree) else {
                return .rssWatchdog(why: "the memory controller cannot be enabled below \(own.path) (\(String(cString: strerror(errno))))")
            }
        }
        let probe = own.appendingPathComponent("distributed-lab-probe-\(getpid())")
        defer { rmdir(probe.path) }
        guard mkdir(probe.path, 0o755) == 0 else {
            return .rssWatchdog(why: "labctl may not create cgroups in \(own.path) (\(String(cString: strerror(errno))))")
        }
        guard FileManager.default.fileExists(atPath: probe.appendingPathComponent("memory.max").path) else {
            return .rssWatchdog(why: "a cgroup made in \(own.path) has no memory.max")
        }
        return .cgroup(parent: own)
    }

    /// The mount point of the cgroup2 file system, from /proc/self/mountinfo.
    static func cgroup2Mount(_ mountInfo: String) -> String? {
        for line in mountInfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count > 4 { return String(fields[4]) }
        }
        return nil
    }

    static func read(_ url: URL) -> String? { try? String(contentsOf: url, encoding: .utf8) }

    @discardableResult
    static func write(_ text: String, to url: URL) -> Bool {
        let fd = open(url.path, O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return text.withCString { Glibc.write(fd, $0, strlen($0)) } >= 0
    }
}

/// The resident set of a process, in bytes (`/proc/<pid>/statm`'s second field × the page size).
enum ResidentMemory {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    static func bytes(of pid: pid_t) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * pageSize
    }
}
