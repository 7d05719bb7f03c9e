import Foundation

/// Where and how to reach RabbitMQ: `amqp://user:password@host:port/vhost` (vhost `/` when the
/// path is empty or `/`; `%2F` is `/`).
public struct RabbitMQConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var vhost: String
    /// Connections (each on its own thread) the client uses for publishes and queue operations.
    public var connections: Int
    public var connectTimeout: Duration
    /// How long a queue operation or a publisher confirm may take.
    public var operationTimeout: Duration

    public init(
        url: String, connections: Int = 2, connectTimeout: Duration = .seconds(5), operationTimeout: Duration = .seconds(10)
    ) throws(RabbitMQError) {
        guard let components = URLComponents(string: url), components.scheme == "amqp" else {
            throw .invalidURL("'\(url)': expected amqp://user:password@host:port/vhost")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalidURL("'\(url)': no host") }
        guard (1...1_000).contains(connections) else { throw .invalidURL("connections must be 1…1000, not \(connections)") }
        self.host = host
        self.port = components.port ?? 5672
        self.user = components.user?.removingPercentEncoding ?? "guest"
        self.password = components.password?.removingPercentEncoding ?? "guest"
        let path = components.percentEncodedPath
        self.vhost = path.isEmpty || path == "/" ? "/" : String(path.dropFirst()).removingPercentEncoding ?? "/"
        self.connections = connections
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
    }

    /// host:port, for spans and errors.
    public var endpoint: String { "\(host):\(port)" }
}
