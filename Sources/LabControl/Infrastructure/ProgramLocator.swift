import Foundation

/// Finds the programs labs need (redis-server, postgres, prometheus, …) on this machine.
///
/// Looks in /usr/lib/rabbitmq/bin first (Debian's /usr/sbin/rabbitmq-server is a wrapper that
/// insists on `su rabbitmq`), then PATH, then /usr/sbin, /usr/local/bin, /usr/bin, then
/// /usr/lib/postgresql/<version>/bin (newest version first: Debian keeps the PostgreSQL server
/// binaries off PATH).
/// A missing program is a `MissingProgramError` naming the Debian package that provides it.
public struct ProgramLocator: Sendable {
    public var searchDirectories: [URL]

    public init(searchDirectories: [URL]) {
        self.searchDirectories = searchDirectories
    }

    /// PATH plus the usual system and PostgreSQL directories.
    public static var standard: ProgramLocator {
        var directories = ["/usr/lib/rabbitmq/bin"]
        directories += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        directories += ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        directories += postgresBinaryDirectories()
        var seen = Set<String>()
        let unique = directories.filter { !$0.isEmpty && seen.insert($0).inserted }
        return ProgramLocator(searchDirectories: unique.map { URL(fileURLWithPath: $0, isDirectory: true) })
    }

    public func find(_ program: String) throws -> URL {
        if let found = locate(program) { return found }
        throw MissingProgramError(program: program)
    }

    public func locate(_ program: String) -> URL? {
        for directory in searchDirectories {
            let candidate = directory.appendingPathComponent(program)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// /usr/lib/postgresql/<version>/bin, highest version first.
    static func postgresBinaryDirectories() -> [String] {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return
            versions
            .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
            .map { "\(root)/\($0)/bin" }
    }
}

/// A program labs need is not installed. Its description is one line with the fix.
public struct MissingProgramError: Error, CustomStringConvertible, Equatable {
    public let program: String
    public var package: String { DebianPackages.package(for: program) }
    public var description: String {
        "\(program) not found: install the Debian package '\(package)' (apt-get install \(package))"
    }
}

/// Which Debian package provides each program labs use.
public enum DebianPackages {
    static let packageByProgram: [String: String] = [
        "redis-server": "redis-server",
        "redis-cli": "redis-tools",
        "postgres": "postgresql",
        "initdb": "postgresql",
        "pg_ctl": "postgresql",
        "pg_basebackup": "postgresql-client",
        "pg_isready": "postgresql-client",
        "psql": "postgresql-client",
        "prometheus": "prometheus",
        "promtool": "prometheus",
        "rabbitmq-server": "rabbitmq-server",
        "epmd": "erlang-base",
        "nginx": "nginx",
        "haproxy": "haproxy",
        "etcd": "etcd-server",
        "memcached": "memcached",
        "nats-server": "nats-server",
        "kafka-server-start.sh": "kafka (not packaged by Debian)",
    ]

    public static func package(for program: String) -> String {
        packageByProgram[program] ?? program
    }
}
