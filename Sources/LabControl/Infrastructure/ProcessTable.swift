import Foundation

/// The machine's processes as /proc shows them: used to prove nothing outlived a lab, and by
/// `labctl down` to find leftovers of a lab whose controller died.
public enum ProcessTable {
    public struct Entry: Sendable, Equatable, CustomStringConvertible {
        public let pid: Int32
        public let processGroup: Int32
        /// The state letter from /proc/<pid>/stat (R, S, Z for zombie, T for stopped, …).
        public let state: Character
        public let commandLine: [String]
        public let workingDirectory: String?
        /// The program file (/proc/<pid>/exe), when readable.
        public let executable: String?
        public var description: String { "pid \(pid) [\(state)] \(commandLine.joined(separator: " "))" }
    }

    public static func entries() -> [Entry] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.compactMap(entry)
    }

    public static func entry(_ pid: Int32) -> Entry? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm) ": state ppid pgrp …
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count >= 3, let state = fields[0].first, let group = Int32(fields[2]) else { return nil }
        let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let arguments = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
        let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        return Entry(pid: pid, processGroup: group, state: state, commandLine: arguments, workingDirectory: cwd, executable: exe)
    }

    /// Processes whose arguments or working directory mention `path` (excluding ourselves).
    public static func processes(referencing path: String) -> [Entry] {
        let me = getpid()
        return entries().filter { entry in
            entry.pid != me
                && (entry.commandLine.contains { $0.contains(path) } || entry.workingDirectory?.hasPrefix(path) == true)
        }
    }

    /// Programs the runtime starts, working in `directory`: the strays a dead controller can leave.
    /// (Narrow on purpose: a shell or an editor open in the lab's directory is not a stray.)
    public static func labPrograms(workingIn directory: String) -> [Entry] {
        // Debian's redis-server is a link to redis-check-rdb, which /proc/<pid>/exe shows.
        let programs: Set<String> = [
            "labsvc", "redis-server", "redis-check-rdb", "postgres", "prometheus", "initdb", "psql",
            "beam.smp", "erl_child_setup", "epmd", // rabbitmq-server: the Erlang VM and its helpers
        ]
        return processes(referencing: directory).filter { entry in
            entry.workingDirectory?.hasPrefix(directory) == true
                && programs.contains(URL(fileURLWithPath: entry.executable ?? "").lastPathComponent)
        }
    }

    /// Members of a process group.
    public static func members(ofGroup group: Int32) -> [Entry] {
        entries().filter { $0.processGroup == group }
    }

    public static func exists(_ pid: Int32) -> Bool { entry(pid) != nil }
}
