import Foundation
import LabKit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real HAProxy (Debian's `haproxy`) on 127.0.0.1, its files in `directory`: `haproxy.cfg`,
/// `server-state`, `haproxy.log`. Master-worker mode in the foreground: `process` is the master,
/// its workers are in its process group (so `stop()` leaves nothing behind).
///
/// As root it runs as the unprivileged `haproxy` account (Debian's package creates it; `nobody`
/// otherwise): a load balancer has no business being root, and its files are only read.
public final class HAProxyServer: Sendable {
    public let directory: URL
    public let frontendPort: Int
    public let metricsPort: Int
    public let runtimeAPIPort: Int
    public let process: ChildProcess
    /// Where clients send requests.
    public var url: String { "http://127.0.0.1:\(frontendPort)" }
    public var runtimeAPI: HAProxyRuntimeAPI { HAProxyRuntimeAPI(port: runtimeAPIPort) }
    var configFile: URL { directory.appendingPathComponent("haproxy.cfg") }
    var stateFile: URL { directory.appendingPathComponent("server-state") }

    private let executable: URL
    private let account: SystemUser?
    /// The configuration running now (a reload replaces it); one reload at a time.
    private let current: Mutex<HAProxyConfiguration>
    private let reloading = Mutex(false)

    private init(
        directory: URL, ports: (Int, Int, Int), process: ChildProcess, executable: URL, account: SystemUser?,
        configuration: HAProxyConfiguration
    ) {
        self.directory = directory
        (frontendPort, metricsPort, runtimeAPIPort) = ports
        self.process = process
        self.executable = executable
        self.account = account
        self.current = Mutex(configuration)
    }

    var configuration: HAProxyConfiguration { current.withLock { $0 } }

    /// Starts HAProxy with the configuration `configure` makes for the ports chosen (frontend,
    /// metrics, runtime API) and waits until it accepts requests and answers its Runtime API.
    static func start(
        directory: URL, locator: ProgramLocator = .standard, timeout: Duration = .seconds(20),
        configure: @escaping @Sendable (_ frontend: Int, _ metrics: Int, _ runtimeAPI: Int, _ stateFile: String) -> HAProxyConfiguration
    ) async throws -> HAProxyServer {
        let executable = try locator.find("haproxy")
        let account = serverAccount()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if account != nil { try ServerAccount.makeTraversable(directory) }
        let stateFile = directory.appendingPathComponent("server-state")
        try? FileManager.default.removeItem(at: stateFile)
        return try await withFreePortRetry { frontend in
            let (metrics, runtime) = (try FreePort.next(), try FreePort.next())
            let configuration = configure(frontend, metrics, runtime, stateFile.path)
            let configFile = directory.appendingPathComponent("haproxy.cfg")
            try configuration.render().write(to: configFile, atomically: true, encoding: .utf8)
            try await check(configFile, executable: executable, account: account, directory: directory)
            let process = try ChildProcess.spawn(
                name: "haproxy", executable: executable, arguments: ["-W", "-db", "-f", configFile.path],
                environment: ChildProcess.minimalEnvironment(), directory: directory,
                logFile: directory.appendingPathComponent("haproxy.log"), user: account)
            let server = HAProxyServer(
                directory: directory, ports: (frontend, metrics, runtime), process: process, executable: executable,
                account: account, configuration: configuration)
            do {
                try await Readiness.wait(for: process, what: "haproxy on port \(frontend)", timeout: timeout, interval: .milliseconds(50)) {
                    guard FreePort.isListening(frontend) else { return false }
                    return (try? await server.runtimeAPI.workerPid()) != nil
                }
            } catch {
                await process.stop(signal: SIGKILL, grace: .seconds(2))
                throw error
            }
            return server
        }
    }

    /// A graceful reload with `configuration` (same ports): checked with `haproxy -c` first (a
    /// broken file must not reach the running balancer), the server states saved for the new
    /// worker, SIGUSR2 to the master; returns once a new worker answers the Runtime API.
    func reload(_ configuration: HAProxyConfiguration, timeout: Duration = .seconds(20)) async throws {
        guard
            reloading.withLock({ busy in
                defer { busy = true }
                return !busy
            })
        else {
            throw RuntimeError("haproxy is already reloading")
        }
        defer { reloading.withLock { $0 = false } }
        let candidate = directory.appendingPathComponent("haproxy.cfg.next")
        try configuration.render().write(to: candidate, atomically: true, encoding: .utf8)
        try await Self.check(candidate, executable: executable, account: account, directory: directory)
        let states = try await runtimeAPI.execute("show servers state")
        try states.write(to: stateFile, atomically: true, encoding: .utf8)
        let oldWorker = try await runtimeAPI.workerPid()
        guard rename(candidate.path, configFile.path) == 0 else { throw SystemCallError(call: "rename \(candidate.path)", errno: errno) }
        process.send(SIGUSR2)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let pid = try? await runtimeAPI.workerPid(), pid != oldWorker {
                current.withLock { $0 = configuration }
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServerStartError(server: "haproxy reload", reason: "no new worker answered within \(timeout)", logTail: process.logTail())
    }

    /// Stops the master (it stops its workers); nothing of it remains.
    public func stop() async {
        await process.stop(signal: SIGTERM, grace: .seconds(5))
    }

    /// `haproxy -c`: the configuration parses and every value is valid.
    private static func check(_ file: URL, executable: URL, account: SystemUser?, directory: URL) async throws {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("check.log")) // this check's lines only
        try await ChildProcess.run(
            name: "haproxy -c", executable: executable, arguments: ["-c", "-f", file.path],
            directory: directory, logFile: directory.appendingPathComponent("check.log"), user: account, timeout: .seconds(30))
    }

    /// The account HAProxy runs as: nil (ourselves) unless we are root.
    static func serverAccount() -> SystemUser? {
        guard geteuid() == 0 else { return nil }
        return SystemUser.named("haproxy") ?? SystemUser.named("nobody")
    }
}
