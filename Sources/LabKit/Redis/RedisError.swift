/// Everything a Redis call can fail with. The client never traps on a network or protocol problem.
public enum RedisError: Error, Sendable, Hashable {
    /// Could not connect, or the connection broke (refused, reset, closed by the server).
    case connection(String)
    /// The server did not answer within the command timeout. The connection is discarded,
    /// because a late reply would otherwise be read as the answer to the next command.
    case timeout
    /// The server answered with an error reply, e.g. `WRONGTYPE Operation against a key ...`.
    case server(String)
    /// A reply that is malformed, or of a type the typed helper did not expect.
    case protocolError(String)
    /// The `redis://` URL could not be understood.
    case invalidURL(String)
    /// A call the client refuses before sending it (e.g. a blocking wait longer than the command timeout).
    case invalidArgument(String)
    /// The client was shut down.
    case clientClosed
}

extension RedisError {
    /// The error code of a server error: "WRONGTYPE", "NOSCRIPT", "ERR", ...
    public var serverErrorCode: String? {
        guard case .server(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    /// The `outcome` label of `redis_client_commands_total`.
    var outcomeLabel: String {
        switch self {
        case .connection: return "connection_error"
        case .timeout: return "timeout"
        case .server: return "server_error"
        case .protocolError: return "protocol_error"
        case .invalidURL, .invalidArgument, .clientClosed: return "client_error"
        }
    }
}

extension RedisError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .connection(let message): return "Redis connection error: \(message)"
        case .timeout: return "Redis command timed out"
        case .server(let message): return "Redis server error: \(message)"
        case .protocolError(let message): return "Redis protocol error: \(message)"
        case .invalidURL(let message): return "Invalid Redis URL: \(message)"
        case .invalidArgument(let message): return "Invalid Redis call: \(message)"
        case .clientClosed: return "Redis client is shut down"
        }
    }
}
