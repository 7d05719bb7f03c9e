import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A RabbitMQ node's data directory made once and copied for every node that starts.
///
/// A node's first boot creates its database: the schema, every feature flag enabled one by one,
/// the vhost, the `lab` user. A copy of a directory where that already happened (same RabbitMQ
/// version, same node name, stopped cleanly) boots as a restart instead. Kept under the cache
/// directory; concurrent labctl processes build it once, under a lock.
public struct RabbitMQNodeTemplate: Sendable {
    public let cache: URL

    public init(cache: URL) { self.cache = cache }

    /// Copies the template to `mnesiaBase` (making it first if needed). False: nothing copied.
    func copy(to mnesiaBase: URL, locator: ProgramLocator) async throws -> Bool {
        let script = try locator.find("rabbitmq-server").resolvingSymlinksInPath()
        // …/rabbitmq_server-3.10.8/sbin/rabbitmq-server: the release directory names the version.
        let release = script.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
        let key = "\(release)-\(RabbitMQServer.nodeName)-\(RabbitMQServer.user)-\(RabbitMQServer.plugins.joined(separator: "+"))"
            .map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
        let directory = cache.appendingPathComponent("rabbitmq", isDirectory: true)
        let ready = directory.appendingPathComponent(String(key), isDirectory: true)
        let marker = ready.appendingPathComponent(".complete")
        let files = FileManager.default
        if !files.fileExists(atPath: marker.path) {
            try await FileLock.withExclusiveLock(directory.appendingPathComponent("template.lock"), owner: try RabbitMQServer.serverUser())
            {
                guard !files.fileExists(atPath: marker.path) else { return }
                try await make(ready, in: directory, locator: locator)
            }
        }
        if files.fileExists(atPath: mnesiaBase.path) { try files.removeItem(at: mnesiaBase) }
        try files.createDirectory(at: mnesiaBase.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await ChildProcess.run(
            name: "cp -a (rabbitmq template)", executable: URL(fileURLWithPath: "/bin/cp"),
            arguments: ["-a", ready.path, mnesiaBase.path], directory: mnesiaBase.deletingLastPathComponent(),
            logFile: mnesiaBase.deletingLastPathComponent().appendingPathComponent("template-copy.log"), timeout: .seconds(60))
        try? files.removeItem(at: mnesiaBase.appendingPathComponent(".complete"))
        return true
    }

    /// Boots a node on a fresh database, stops it cleanly, keeps its data directory.
    private func make(_ ready: URL, in directory: URL, locator: ProgramLocator) async throws {
        let scratch = directory.appendingPathComponent("making-\(getpid())", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let node = try await RabbitMQServer.start(directory: scratch, locator: locator)
        await node.stop()
        if let status = node.process.exitStatus, status != .exited(0) {
            throw ServerStartError(
                server: "rabbitmq-server (template)", reason: "it did not shut down cleanly: \(status)", logTail: node.process.logTail())
        }
        try? FileManager.default.removeItem(at: ready)
        try FileManager.default.moveItem(at: RabbitMQServer.mnesiaBase(scratch), to: ready)
        try "".write(to: ready.appendingPathComponent(".complete"), atomically: true, encoding: .utf8)
    }
}

/// An exclusive advisory lock on a file, polled so that no thread blocks while waiting.
enum FileLock {
    /// Runs `body` holding the lock. `owner`: the account that must be able to reach the lock's
    /// directory (a server running as another user builds something there).
    static func withExclusiveLock(
        _ file: URL, owner: SystemUser? = nil, timeout: Duration = .seconds(180), _ body: () async throws -> Void
    ) async throws {
        let directory = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if let owner {
            try ServerAccount.chown(directory, to: owner)
            try ServerAccount.makeTraversable(directory)
        }
        let fd = open(file.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError(call: "open \(file.path)", errno: errno) }
        defer { close(fd) }
        let deadline = ContinuousClock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else {
                throw SystemCallError(call: "flock \(file.path) (waited \(timeout))", errno: errno)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        defer { flock(fd, LOCK_UN) }
        try await body()
    }
}
