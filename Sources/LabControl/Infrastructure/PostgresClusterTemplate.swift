import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL cluster made once (initdb, the lab role and database, the lab's `init.sql`, a clean
/// shutdown) and copied for every server that starts: `cp -a` of a fresh cluster takes about a quarter
/// of initdb's time and saves two psql round trips, and a lab whose init.sql loads a million rows pays
/// for the load once per machine instead of once per run (a copy of the loaded cluster takes a fraction
/// of a second). Kept under the cache directory, one per server binary, role, database and init.sql
/// text; concurrent labctl processes (`labctl verify --jobs N`) build each once, under a lock.
public struct PostgresClusterTemplate: Sendable {
    public let cache: URL

    public init(cache: URL) { self.cache = cache }

    /// Copies the template's data directory to `data` (making the template first if needed): a cluster
    /// with the role, the database and, when given, `initSQL` already applied — by a server that ran
    /// with the lab's `settings` (init.sql may need them: a logical slot needs `wal_level: logical`).
    /// Returns false, having copied nothing, when no template can be made here.
    func copy(
        to data: URL, database: String, user: String, initSQL: String? = nil, settings: [String: String] = [:],
        postgres: URL, locator: ProgramLocator
    ) async throws -> Bool {
        var key = String(
            "\(postgres.deletingLastPathComponent().path)-\(user)-\(database)"
                .map { $0.isLetter || $0.isNumber ? $0 : "_" })
        if let initSQL {
            key += "-init-" + Self.fingerprint(initSQL)
            if !settings.isEmpty {
                key +=
                    "-settings-"
                    + Self.fingerprint(settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
            }
        }
        let directory = cache.appendingPathComponent("postgres", isDirectory: true)
        let ready = directory.appendingPathComponent(String(key), isDirectory: true)
        let files = FileManager.default
        if !files.fileExists(atPath: ready.appendingPathComponent("PG_VERSION").path) {
            try await withLock(directory.appendingPathComponent("template.lock")) {
                guard !files.fileExists(atPath: ready.appendingPathComponent("PG_VERSION").path) else { return }
                try await make(
                    ready, in: directory, database: database, user: user, initSQL: initSQL, settings: initSQL == nil ? [:] : settings,
                    locator: locator)
            }
        }
        if files.fileExists(atPath: data.path) { try files.removeItem(at: data) }
        try await ChildProcess.run(
            name: "cp -a (postgres template)", executable: URL(fileURLWithPath: "/bin/cp"),
            arguments: ["-a", ready.path, data.path], directory: data.deletingLastPathComponent(),
            logFile: data.deletingLastPathComponent().appendingPathComponent("template-copy.log"), timeout: .seconds(60))
        return true
    }

    /// initdb, start, create the role and database, apply init.sql, stop cleanly, keep the data directory.
    private func make(
        _ ready: URL, in directory: URL, database: String, user: String, initSQL: String?, settings: [String: String],
        locator: ProgramLocator
    ) async throws {
        let scratch = directory.appendingPathComponent("making-\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try await PostgresServer.start(
            directory: scratch, database: database, user: user, initSQL: initSQL, locator: locator, settings: settings)
        await server.stop()
        if let status = server.process.exitStatus, status != .exited(0) {
            throw ServerStartError(
                server: "postgres (template)", reason: "it did not shut down cleanly: \(status)", logTail: server.process.logTail())
        }
        try FileManager.default.moveItem(at: scratch.appendingPathComponent("data"), to: ready)
    }

    /// FNV-1a (64 bits) of the text, in hex: the same init.sql always finds the same template.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// Runs `body` holding an exclusive advisory lock on `file` (polled, so no thread blocks).
    private func withLock(_ file: URL, _ body: () async throws -> Void) async throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let runAs = try PostgresServer.serverUser() {
            // The postgres account must reach the template through this directory.
            _ = chown(file.deletingLastPathComponent().path, runAs.uid, runAs.gid)
        }
        let fd = open(file.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError(call: "open \(file.path)", errno: errno) }
        defer { close(fd) }
        let deadline = ContinuousClock.now + .seconds(120)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else { throw SystemCallError(call: "flock \(file.path) (waited 120 s)", errno: errno) }
            try await Task.sleep(for: .milliseconds(50))
        }
        defer { flock(fd, LOCK_UN) }
        try await body()
    }
}
