import Hummingbird

extension Request {
    /// Runs `operation` (the handler's work), cancelling it as soon as the client closes the
    /// connection: a caller that gave up (its timeout fired, its own caller went away) stops the work
    /// it asked for, instead of leaving it to finish for nobody. Cancellation reaches everything the
    /// operation awaits: a queued ``WorkerPool`` slot, a `Task.sleep`, a `PeerClient` call (which
    /// closes its own connection, so the next hop is cancelled the same way).
    ///
    /// Hummingbird notices the close while it reads the request's parts, so the request body is
    /// consumed here (handlers that need the body read it first), and the connection is closed
    /// after the response instead of being kept alive for another request.
    public func cancellingOnClientDisconnect<Value: Sendable>(_ operation: () async throws -> Value) async throws -> Value {
        try await body.consumeWithCancellationOnInboundClose { _ in try await operation() }
    }
}
