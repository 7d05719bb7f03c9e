import Foundation
import PostgresNIO

/// Parses `DATABASE_URL` into a PostgresNIO configuration.
///
///     postgres://user:password@host:5432/db
///     postgres://user@/db?host=/path/to/socket/dir&port=5433      (Unix socket, as libpq spells it)
///     postgres://user@host/db?sslmode=require
public struct DatabaseURL: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String?
    public var port: Int
    public var database: String?
    /// Directory holding the server's `.s.PGSQL.<port>` socket.
    public var socketDirectory: String?
    public var requireTLS: Bool

    public init(_ raw: String) throws {
        guard let url = URLComponents(string: raw), ["postgres", "postgresql"].contains(url.scheme ?? "") else {
            throw LabStartupError("DATABASE_URL: expected postgres://user@host:port/database, got '\(raw)'")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        guard let user = url.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw LabStartupError("DATABASE_URL: missing user (postgres://USER@host/db)")
        }
        self.user = user
        self.password = url.password?.removingPercentEncoding
        self.host = url.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        if let p = query["port"] {
            guard let port = Int(p) else { throw LabStartupError("DATABASE_URL: port '\(p)' is not a number") }
            self.port = port
        } else {
            self.port = url.port ?? 5432
        }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.database = path.isEmpty ? nil : path.removingPercentEncoding
        // libpq: a host starting with "/" is a socket directory.
        if let dir = query["host"], dir.hasPrefix("/") {
            self.socketDirectory = dir
        } else if let h = host, h.hasPrefix("/") {
            self.socketDirectory = h
        } else {
            self.socketDirectory = nil
        }
        self.requireTLS = ["require", "verify-ca", "verify-full"].contains(query["sslmode"] ?? "")
        if socketDirectory == nil && host == nil {
            throw LabStartupError("DATABASE_URL: missing host (or ?host=/socket/dir)")
        }
    }

    /// The server address for span attributes and log lines.
    /// `host:port`, or the socket path: where connections go, for messages.
    public var endpointDescription: String { socketDirectory == nil ? "\(host ?? "?"):\(port)" : serverAddress }

    public var serverAddress: String { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } ?? host ?? "?" }

    public var configuration: PostgresClient.Configuration {
        if let socketDirectory {
            return .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        return .init(
            host: host ?? "127.0.0.1", port: port, username: user, password: password, database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
    }
}
