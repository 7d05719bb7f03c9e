import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real single-member `etcd` on 127.0.0.1, its data in `directory/data`. Services use its v3
/// HTTP/JSON gateway (`http://127.0.0.1:P/v3/kv/range`, leases, transactions: LabKit's `EtcdClient`).
/// As root it runs as the `etcd` account the Debian package creates (else `nobody`).
public final class EtcdServer: Sendable {
    public let port: Int
    public let peerPort: Int
    public let directory: URL
    public let process: ChildProcess
    public var url: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, peerPort: Int, directory: URL, process: ChildProcess) {
        self.port = port
        self.peerPort = peerPort
        self.directory = directory
        self.process = process
    }

    public static func start(
        directory: URL, locator: ProgramLocator = .standard, timeout: Duration = .seconds(30)
    ) async throws -> EtcdServer {
        let executable = try locator.find("etcd")
        let files = FileManager.default
        let data = directory.appendingPathComponent("data", isDirectory: true)
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        if files.fileExists(atPath: data.path) { try files.removeItem(at: data) }
        try files.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let runAs = serverUser()
        if let runAs {
            for url in [directory, data] { _ = chown(url.path, runAs.uid, runAs.gid) }
            // The account must reach its directory: o+x on ancestors that lack it (search only).
            var current = directory.deletingLastPathComponent()
            while current.path != "/" && !current.path.isEmpty {
                var info = stat()
                if stat(current.path, &info) == 0, info.st_mode & S_IXOTH == 0 {
                    _ = chmod(current.path, (info.st_mode & 0o7777) | S_IXOTH)
                }
                current = current.deletingLastPathComponent()
            }
        }
        return try await withFreePortRetry { port in
            let peerPort = try FreePort.next()
            let process = try ChildProcess.spawn(
                name: "etcd", executable: executable,
                arguments: [
                    "--name", "lab", "--data-dir", data.path,
                    "--listen-client-urls", "http://127.0.0.1:\(port)", "--advertise-client-urls", "http://127.0.0.1:\(port)",
                    "--listen-peer-urls", "http://127.0.0.1:\(peerPort)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
                    "--initial-cluster", "lab=http://127.0.0.1:\(peerPort)", "--initial-cluster-state", "new",
                    "--logger", "zap", "--log-outputs", "stderr",
                ],
                environment: ChildProcess.minimalEnvironment(home: directory.path), directory: directory,
                logFile: directory.appendingPathComponent("etcd.log"), user: runAs, deathSignal: SIGTERM)
            do {
                try await Readiness.wait(for: process, what: "etcd on port \(port)", timeout: timeout, interval: .milliseconds(100)) {
                    Probe.httpGet(port: port, path: "/health")?.body.contains("\"health\":\"true\"") == true
                }
            } catch {
                await process.stop(signal: SIGKILL, grace: .seconds(2))
                throw error
            }
            return EtcdServer(port: port, peerPort: peerPort, directory: directory, process: process)
        }
    }

    public func stop() async {
        await process.stop(signal: SIGTERM, grace: .seconds(10))
    }

    /// The account etcd runs as: nil (ourselves) unless we are root.
    static func serverUser() -> SystemUser? {
        guard geteuid() == 0 else { return nil }
        return SystemUser.named("etcd") ?? SystemUser.named("nobody")
    }
}
