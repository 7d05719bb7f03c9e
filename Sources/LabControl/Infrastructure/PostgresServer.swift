import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server on 127.0.0.1 with a fresh cluster in `directory/data`.
///
/// initdb (trust authentication: loopback only, for labs and tests) — or, with a `template`, a copy
/// of a cluster made once that already holds the lab role, the database and `initSQL`'s effects — then
/// `postgres` runs in the foreground as our child (not pg_ctl's daemon, so the parent-death signal
/// reaches it), then (without a template) `initSQL` is applied with psql.
/// PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user and
/// initdb/postgres run as that user.
public final class PostgresServer: Sendable {
    public let port: Int
    public let database: String
    public let user: String
    public let directory: URL
    /// Where the Unix socket lives (psql -h <socketDirectory>).
    public let socketDirectory: URL
    public let process: ChildProcess
    /// postgres://lab@127.0.0.1:P/lab (no password: trust on loopback).
    public var url: String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }

    private let ownsSocketDirectory: Bool

    private init(
        port: Int, database: String, user: String, directory: URL, socketDirectory: URL,
        ownsSocketDirectory: Bool, process: ChildProcess
    ) {
        self.port = port
        self.database = database
        self.user = user
        self.directory = directory
        self.socketDirectory = socketDirectory
        self.ownsSocketDirectory = ownsSocketDirectory
        self.process = process
    }

    public static func start(
        directory: URL,
        database: String = "lab",
        user: String = "lab",
        initSQL: String? = nil,
        locator: ProgramLocator = .standard,
        timeout: Duration = .seconds(60),
        template: PostgresClusterTemplate? = nil,
        settings: [String: String] = [:],
        databases: [String] = []
    ) async throws -> PostgresServer {
        let initdb = try locator.find("initdb")
        let postgres = try locator.find("postgres")
        let psql = try locator.find("psql")
        let runAs = try serverUser()
        let (data, socketDirectory, ownsSocketDirectory) = try prepareDirectories(directory, runAs: runAs)
        let environment = ChildProcess.minimalEnvironment(home: directory.path)

        // A copy of a ready cluster costs a fraction of initdb plus creating the role and database
        // (and of loading init.sql's data: the template has it applied).
        var copied = false
        if let template {
            copied = try await template.copy(
                to: data, database: database, user: user, initSQL: initSQL, settings: settings, postgres: postgres, locator: locator)
        }
        if !copied {
            try await ChildProcess.run(
                name: "initdb", executable: initdb,
                arguments: ["-D", data.path, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                environment: environment, directory: directory,
                logFile: directory.appendingPathComponent("initdb.log"), user: runAs)
        }

        do {
            return try await withFreePortRetry { port in
                let server = try await spawnServer(
                    postgres, psql: psql, data: data, port: port, settings: settings, database: database, user: user,
                    directory: directory, socketDirectory: socketDirectory, ownsSocketDirectory: ownsSocketDirectory,
                    runAs: runAs, timeout: timeout)
                let process = server.process
                do {
                    if !copied { try await server.createRoleAndDatabase(psql) }
                    for extra in databases where extra != database {
                        try await server.psql(
                            psql, database: "postgres", role: "postgres",
                            arguments: ["-c", "CREATE DATABASE \(server.quoted(extra)) OWNER \(server.quoted(user))"], log: "setup.log")
                    }
                    if let initSQL {
                        let file = directory.appendingPathComponent("init.sql")
                        try initSQL.write(to: file, atomically: true, encoding: .utf8)
                        // A copied template has init.sql applied to the lab's database already.
                        let targets = (copied ? [] : [database]) + databases.filter({ $0 != database })
                        for target in targets {
                            try await server.psql(psql, database: target, role: user, arguments: ["-f", file.path], log: "init-sql.log")
                        }
                    }
                } catch {
                    await process.stop(signal: SIGQUIT, grace: .seconds(5))
                    throw error
                }
                return server
            }
        } catch {
            if ownsSocketDirectory { try? FileManager.default.removeItem(at: socketDirectory) }
            throw error
        }
    }

    /// A hot standby of `primary`: `pg_basebackup` from the running primary (creating the physical
    /// replication slot `slot`), then `postgres` in recovery, streaming from `127.0.0.1:upstreamPort`
    /// (the primary's port, or a fault proxy in front of it) as `application_name`. `settings` come
    /// last (`recovery_min_apply_delay`, …). Ready once it accepts read-only queries.
    public static func startStandby(
        directory: URL, primary: PostgresServer, upstreamPort: Int, slot: String, applicationName: String,
        settings: [String: String] = [:], locator: ProgramLocator = .standard, timeout: Duration = .seconds(60)
    ) async throws -> PostgresServer {
        let basebackup = try locator.find("pg_basebackup")
        let postgres = try locator.find("postgres")
        let psql = try locator.find("psql")
        let runAs = try serverUser()
        let (data, socketDirectory, ownsSocketDirectory) = try prepareDirectories(directory, runAs: runAs)
        do {
            try await ChildProcess.run(
                name: "pg_basebackup", executable: basebackup,
                arguments: [
                    "-h", "127.0.0.1", "-p", "\(primary.port)", "-U", "postgres", "-D", data.path,
                    "-X", "stream", "-c", "fast", "-C", "-S", slot, "--no-sync",
                ],
                environment: ChildProcess.minimalEnvironment(home: directory.path), directory: directory,
                logFile: directory.appendingPathComponent("basebackup.log"), user: runAs, timeout: .seconds(120))
            // standby.signal: start in recovery and keep streaming (a standby, not a restore).
            let signal = data.appendingPathComponent("standby.signal")
            try Data().write(to: signal)
            if let runAs { try chown(signal, to: runAs) }
            var standbySettings = [
                "primary_conninfo": "host=127.0.0.1 port=\(upstreamPort) user=postgres application_name=\(applicationName)",
                "primary_slot_name": slot,
                // After a cut link, reconnect within half a second (the default waits 5 s).
                "wal_retrieve_retry_interval": "500ms",
                "hot_standby": "on",
            ]
            standbySettings.merge(settings) { _, given in given }
            return try await withFreePortRetry { port in
                try await spawnServer(
                    postgres, name: applicationName, psql: psql, data: data, port: port, settings: standbySettings,
                    database: primary.database,
                    user: primary.user, directory: directory, socketDirectory: socketDirectory,
                    ownsSocketDirectory: ownsSocketDirectory, runAs: runAs, timeout: timeout)
            }
        } catch {
            if ownsSocketDirectory { try? FileManager.default.removeItem(at: socketDirectory) }
            throw error
        }
    }

    /// Runs one SQL statement as the `postgres` superuser over the Unix socket; its output (unaligned,
    /// tuples only) trimmed. For the runtime's own work (promotion, replication settings), not for labs.
    @discardableResult
    public func execute(_ sql: String, database: String = "postgres", locator: ProgramLocator = .standard) async throws -> String {
        let psql = try locator.find("psql")
        let log = "execute-\(UInt32.random(in: 0...UInt32.max)).log"
        let child = try await self.psql(psql, database: database, role: "postgres", arguments: ["-A", "-t", "-c", sql], log: log)
        let output = (try? String(contentsOf: child.logFile, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: child.logFile)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Fast shutdown (SIGINT: roll back open transactions, disconnect clients, stop).
    public func stop() async {
        await process.stop(signal: SIGINT, grace: .seconds(15))
        if ownsSocketDirectory { try? FileManager.default.removeItem(at: socketDirectory) }
    }

    // MARK: - steps

    /// `postgres` in the foreground as our child on `port`, then waits until it answers.
    private static func spawnServer(
        _ postgres: URL, name: String = "postgres", psql: URL, data: URL, port: Int, settings: [String: String], database: String,
        user: String,
        directory: URL, socketDirectory: URL, ownsSocketDirectory: Bool, runAs: SystemUser?, timeout: Duration
    ) async throws -> PostgresServer {
        // A lab database holds nothing worth a disk flush; `settings` (the lab's) come last and win.
        var all = [
            "listen_addresses": "127.0.0.1", "max_connections": "200",
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
        ]
        all.merge(settings) { _, given in given }
        let process = try ChildProcess.spawn(
            name: name, executable: postgres,
            arguments: ["-D", data.path, "-k", socketDirectory.path, "-p", "\(port)"]
                + all.keys.sorted().flatMap { ["-c", "\($0)=\(all[$0]!)"] },
            environment: ChildProcess.minimalEnvironment(home: directory.path), directory: directory,
            logFile: directory.appendingPathComponent("postgres.log"), user: runAs,
            deathSignal: SIGQUIT) // immediate shutdown; backends follow the postmaster
        let server = PostgresServer(
            port: port, database: database, user: user, directory: directory,
            socketDirectory: socketDirectory, ownsSocketDirectory: ownsSocketDirectory, process: process)
        do {
            try await Readiness.wait(for: process, what: "postgres on port \(port)", timeout: timeout, interval: .milliseconds(100)) {
                (try? await server.psql(psql, database: "postgres", role: "postgres", arguments: ["-c", "SELECT 1"], log: "ready.log"))
                    != nil
            }
        } catch {
            await process.stop(signal: SIGQUIT, grace: .seconds(5))
            throw error
        }
        return server
    }

    /// `directory/data` (fresh, empty, 0700) and the socket directory, owned by the server's account.
    private static func prepareDirectories(_ directory: URL, runAs: SystemUser?) throws -> (data: URL, socket: URL, ownsSocket: Bool) {
        let files = FileManager.default
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = directory.appendingPathComponent("data")
        if files.fileExists(atPath: data.path) { try files.removeItem(at: data) } // always a fresh cluster
        try files.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let (socketDirectory, ownsSocketDirectory) = try makeSocketDirectory(in: directory)
        if let runAs {
            for url in [directory, data, socketDirectory] { try chown(url, to: runAs) }
            try makeTraversable(directory)
            try makeTraversable(socketDirectory)
        }
        return (data, socketDirectory, ownsSocketDirectory)
    }

    private func createRoleAndDatabase(_ program: URL) async throws {
        var statements: [String] = []
        if user != "postgres" { statements.append("CREATE ROLE \(quoted(user)) LOGIN SUPERUSER") }
        if database != "postgres" { statements.append("CREATE DATABASE \(quoted(database)) OWNER \(quoted(user))") }
        for statement in statements {
            try await psql(program, database: "postgres", role: "postgres", arguments: ["-c", statement], log: "setup.log")
        }
    }

    /// Runs psql over the Unix socket, stopping at the first error.
    @discardableResult
    private func psql(_ program: URL, database: String, role: String, arguments: [String], log: String) async throws -> ChildProcess {
        try await ChildProcess.run(
            name: "psql", executable: program,
            arguments: [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory.path, "-p", "\(port)",
                "-U", role, "-d", database,
            ] + arguments,
            environment: ChildProcess.minimalEnvironment(home: directory.path),
            directory: directory, logFile: directory.appendingPathComponent(log), timeout: .seconds(60))
    }

    func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The account the server runs as: nil (ourselves) unless we are root.
    static func serverUser() throws -> SystemUser? {
        guard geteuid() == 0 else { return nil }
        guard let user = SystemUser.named("postgres") else {
            throw ServerStartError(
                server: "postgres",
                reason: "PostgreSQL refuses to run as root and there is no 'postgres' user "
                    + "to run it as: install the Debian package 'postgresql' (apt-get install postgresql)", logTail: "")
        }
        return user
    }

    /// Unix socket paths are limited to 107 bytes; when `directory` is deep, use a short one in /tmp.
    private static func makeSocketDirectory(in directory: URL) throws -> (URL, owned: Bool) {
        let nearby = directory.appendingPathComponent("socket")
        if nearby.path.utf8.count + "/.s.PGSQL.65535".utf8.count < 100 {
            try FileManager.default.createDirectory(at: nearby, withIntermediateDirectories: true)
            return (nearby, false)
        }
        var template = Array("/tmp/labpg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemCallError(call: "mkdtemp", errno: errno) }
        return (URL(fileURLWithPath: String(cString: made), isDirectory: true), true)
    }

    private static func chown(_ url: URL, to user: SystemUser) throws {
        guard Glibc.chown(url.path, user.uid, user.gid) == 0 else { throw SystemCallError(call: "chown \(url.path)", errno: errno) }
    }

    /// The postgres user must be able to reach its directory: add o+x (search only, not read)
    /// to each ancestor that lacks it.
    private static func makeTraversable(_ url: URL) throws {
        var current = url.deletingLastPathComponent()
        while current.path != "/" && !current.path.isEmpty {
            var info = stat()
            if stat(current.path, &info) == 0, info.st_mode & S_IXOTH == 0 {
                guard chmod(current.path, (info.st_mode & 0o7777) | S_IXOTH) == 0 else {
                    throw SystemCallError(call: "chmod o+x \(current.path)", errno: errno)
                }
            }
            current = current.deletingLastPathComponent()
        }
    }
}
