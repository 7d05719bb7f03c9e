/// What can go wrong talking to RabbitMQ. A connection that saw a transport error, a timeout or a
/// channel/connection exception is discarded; the next operation opens a new one.
public enum RabbitMQError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A malformed `amqp://` URL.
    case invalidURL(String)
    /// Could not connect, or the connection broke.
    case connection(String)
    /// No answer within the operation timeout.
    case timeout(String)
    /// The broker refused something and closed the channel or connection: the AMQP reply code
    /// (404 NOT_FOUND, 406 PRECONDITION_FAILED, …) and its text.
    case server(code: Int, text: String)
    /// Frames that make no sense at this point.
    case protocolError(String)
    /// The broker cancelled the consumer (its queue was deleted).
    case consumerCancelled(String)
    /// The client or consumer was shut down.
    case closed

    public var description: String {
        switch self {
        case .invalidURL(let text): "invalid RabbitMQ URL: \(text)"
        case .connection(let text): "RabbitMQ connection: \(text)"
        case .timeout(let what): "RabbitMQ: no answer in time (\(what))"
        case .server(let code, let text): "RabbitMQ refused (\(code)): \(text)"
        case .protocolError(let text): "RabbitMQ protocol: \(text)"
        case .consumerCancelled(let queue): "RabbitMQ cancelled the consumer of \(queue)"
        case .closed: "RabbitMQ client closed"
        }
    }

    /// The `outcome` label of the client's metrics.
    var outcomeLabel: String {
        switch self {
        case .invalidURL, .connection, .closed: "connection_error"
        case .timeout: "timeout"
        case .server: "server_error"
        case .protocolError, .consumerCancelled: "error"
        }
    }
}
