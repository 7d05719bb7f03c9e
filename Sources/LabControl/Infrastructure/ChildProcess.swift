import CLabSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One child process of labctl, spawned through CLabSpawn: its own process group, stdout+stderr
/// appended to `logFile`, and a parent-death signal so it cannot outlive labctl.
///
/// `stop()` signals the process (SIGTERM unless told otherwise), waits, then SIGKILLs its whole
/// process group, and reaps it: afterwards no process (not even a zombie) remains.
public final class ChildProcess: Sendable {
    public let name: String
    public let pid: pid_t
    public let logFile: URL
    /// Where this process's output begins in `logFile`: logs are appended to across starts (a
    /// restart keeps the history), but an error about this start quotes only this start's lines.
    public let logOffset: UInt64
    /// The process group: the child leads it, so `pgid == pid`.
    public var pgid: pid_t { pid }

    private let status = Mutex<ExitStatus?>(nil)

    /// How a process ended.
    public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
        public var succeeded: Bool { self == .exited(0) }
    }

    private init(name: String, pid: pid_t, logFile: URL, logOffset: UInt64) {
        self.name = name
        self.pid = pid
        self.logFile = logFile
        self.logOffset = logOffset
    }

    /// Starts `executable` with exactly `environment` (nothing inherited unless you pass it).
    public static func spawn(
        name: String,
        executable: URL,
        arguments: [String],
        environment: [String: String],
        directory: URL,
        logFile: URL,
        user: SystemUser? = nil,
        deathSignal: Int32 = SIGKILL
    ) throws -> ChildProcess {
        let argv = [executable.path] + arguments
        let logOffset = (try? FileManager.default.attributesOfItem(atPath: logFile.path)[.size] as? UInt64) ?? 0
        let envp = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let result: (pid: pid_t, step: String?) = withCStrings(argv) { argvPointer in
            withCStrings(envp) { envpPointer in
                executable.path.withCString { path in
                    directory.path.withCString { cwd in
                        logFile.path.withCString { log in
                            var request = clabspawn_request(
                                path: path, argv: argvPointer, envp: envpPointer, cwd: cwd, log_path: log,
                                uid: user.map { Int32($0.uid) } ?? -1,
                                gid: user.map { Int32($0.gid) } ?? -1,
                                death_signal: deathSignal)
                            var step: UnsafePointer<CChar>? = nil
                            let pid = clabspawn_spawn(&request, &step)
                            return (pid, step.map { String(cString: $0) })
                        }
                    }
                }
            }
        }
        guard result.pid > 0 else {
            throw SpawnError(program: executable.path, step: result.step ?? "spawn", errno: -result.pid)
        }
        return ChildProcess(name: name, pid: result.pid, logFile: logFile, logOffset: logOffset)
    }

    /// The exit status once the process has ended (reaping it), nil while it runs.
    public var exitStatus: ExitStatus? {
        status.withLock { known in
            if let known { return known }
            var raw: Int32 = 0
            let reaped = clabspawn_reap(pid, &raw)
            if reaped == pid {
                known =
                    clabspawn_exited(raw) != 0
                    ? .exited(clabspawn_exit_code(raw)) : .signaled(clabspawn_term_signal(raw))
            } else if reaped < 0 {
                // ECHILD: not ours to reap (already reaped elsewhere); treat as gone.
                known = .signaled(0)
            }
            return known
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Sends `signal` to the process (or to its whole group).
    public func send(_ signal: Int32, toGroup: Bool = false) {
        guard isRunning || toGroup else { return }
        _ = kill(toGroup ? -pgid : pid, signal)
    }

    /// Waits up to `timeout` for the process to end; its status, or nil if it still runs.
    @discardableResult
    public func waitForExit(timeout: Duration) async -> ExitStatus? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = exitStatus { return status }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the process: `signal` first, SIGKILL to the whole group after `grace`, then reaps.
    /// Anything left in its process group (grandchildren) is killed too.
    public func stop(signal: Int32 = SIGTERM, grace: Duration = .seconds(10)) async {
        if isRunning {
            send(signal)
            if await waitForExit(timeout: grace) == nil {
                send(SIGKILL, toGroup: true)
                await waitForExit(timeout: .seconds(30))
            }
        }
        // A group member that outlived its leader is an orphan we created: end it.
        if kill(-pgid, 0) == 0 { _ = kill(-pgid, SIGKILL) }
    }

    /// The last `count` lines this process wrote to its log (none from earlier starts), for error messages.
    public func logTail(_ count: Int = 20) -> String {
        LogTail.lastLines(of: logFile, count: count, from: logOffset)
    }

    /// Runs a program to completion (initdb, psql, …). Throws `ProgramFailedError` with the log's
    /// last lines when it does not exit 0 within `timeout`.
    @discardableResult
    public static func run(
        name: String,
        executable: URL,
        arguments: [String],
        environment: [String: String] = ChildProcess.minimalEnvironment(),
        directory: URL,
        logFile: URL,
        user: SystemUser? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> ChildProcess {
        let child = try spawn(
            name: name, executable: executable, arguments: arguments, environment: environment,
            directory: directory, logFile: logFile, user: user)
        guard let status = await child.waitForExit(timeout: timeout) else {
            await child.stop(signal: SIGKILL, grace: .seconds(1))
            throw ProgramFailedError(name: name, status: nil, logTail: child.logTail())
        }
        guard status.succeeded else {
            throw ProgramFailedError(name: name, status: status, logTail: child.logTail())
        }
        return child
    }

    /// PATH, HOME, LANG and TZ from our environment: enough for servers, nothing surprising.
    public static func minimalEnvironment(home: String? = nil) -> [String: String] {
        let ours = ProcessInfo.processInfo.environment
        var environment = ["PATH": ours["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"]
        environment["HOME"] = home ?? ours["HOME"] ?? "/"
        if let tz = ours["TZ"] { environment["TZ"] = tz }
        return environment
    }
}

/// A NULL-terminated C string array for the duration of `body`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// A local account to run a child as (PostgreSQL refuses to run as root).
public struct SystemUser: Sendable, Equatable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t

    /// getpwnam_r, not getpwnam: getpwnam answers in static storage that a concurrent call overwrites
    /// (two kinds starting at once, e.g. PostgreSQL and etcd, once ran PostgreSQL as the etcd account).
    public static func named(_ name: String) -> SystemUser? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return SystemUser(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
    }
}

public struct SpawnError: Error, CustomStringConvertible {
    public let program: String
    public let step: String
    public let errno: Int32
    public var description: String {
        "could not start \(program): \(step) failed: \(String(cString: strerror(errno)))"
    }
}

public struct ProgramFailedError: Error, CustomStringConvertible {
    public let name: String
    public let status: ChildProcess.ExitStatus?
    public let logTail: String
    public var description: String {
        let what = status.map { "\($0)" } ?? "did not finish in time"
        return "\(name) \(what); last lines of its log:\n\(logTail)"
    }
}

/// The end of a log file.
public enum LogTail {
    /// The last `count` lines of `file`, reading only what lies after byte `offset`.
    public static func lastLines(of file: URL, count: Int = 20, from offset: UInt64 = 0) -> String {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return "    (no log at \(file.path))" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = max(offset, size > 64 * 1024 ? size - 64 * 1024 : 0)
        guard (try? handle.seek(toOffset: min(start, size))) != nil, let data = try? handle.readToEnd() else {
            return "    (log is empty)"
        }
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let trimmed = lines.last == "" ? lines.dropLast() : lines[...]
        let tail = trimmed.suffix(count).map { "    " + $0 }.joined(separator: "\n")
        return tail.isEmpty ? "    (log is empty)" : tail
    }
}
