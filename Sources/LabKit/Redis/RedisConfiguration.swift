import Foundation

/// Where and how to connect: parsed from `redis://[[user]:password@]host[:port][/db]`.
public struct RedisConfiguration: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// The logical database selected on every new connection (`SELECT db`).
    public var database: Int
    public var username: String?
    public var password: String?
    /// How many connections (and blocking threads) the client keeps at most.
    public var poolSize: Int
    public var connectTimeout: Duration
    /// How long one command (or one pipeline) may wait for its reply before `RedisError.timeout`.
    public var commandTimeout: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 6379, database: Int = 0,
        username: String? = nil, password: String? = nil,
        poolSize: Int = 4, connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2)
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.poolSize = max(1, poolSize)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    public init(
        url: String, poolSize: Int = 4,
        connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2)
    ) throws(RedisError) {
        guard let components = URLComponents(string: url) else {
            throw .invalidURL("'\(url)' is not a URL (expected redis://host:port/db)")
        }
        guard components.scheme == "redis" else {
            throw .invalidURL("'\(url)': scheme must be redis:// (rediss:// and unix sockets are not supported)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalidURL("'\(url)' has no host")
        }
        let port = components.port ?? 6379
        guard (1...65535).contains(port) else { throw .invalidURL("'\(url)': port \(port) is out of range") }
        var database = 0
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else {
                throw .invalidURL("'\(url)': database '\(path)' must be a non-negative integer")
            }
            database = number
        }
        let user = components.user.flatMap { $0.isEmpty ? nil : $0 }
        self.init(
            host: host, port: port, database: database,
            username: user, password: components.password,
            poolSize: poolSize, connectTimeout: connectTimeout, commandTimeout: commandTimeout
        )
    }
}
