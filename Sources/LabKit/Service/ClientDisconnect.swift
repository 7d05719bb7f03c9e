import Hummingbird

extension Request {
    /// Runs `operation` (the handler's work), cancelling it as soon as the client closes the
    /// connection: a caller that gave up (its timeout fired, its own caller went away) stops the work
    /// it asked for, instead of leaving it to finish for nobody. Cancellation reaches everything the
    /// operation awaits: a queued ``WorkerPool`` slot, a `Task.sleep`, a `PeerClient` call (which
    /// closes its own connection, so the next hop is cancelled the same way).
    ///
    /// Work cancelled this way is answered `499 Client Closed Request` (nginx's code; nobody reads
    /// it, but the server's metrics and spans count it apart from failures).
    ///
    /// Hummingbird notices the close while it reads the request's parts, so the request body is
    /// consumed here (a handler that needs the body reads it first) and the connection cannot carry
    /// another request: the answer says `Connection: close`, so clients open a new one instead of
    /// reusing one the server is about to close.
    public func cancellingOnClientDisconnect(_ operation: () async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await body.consumeWithCancellationOnInboundClose { _ in try await operation() }
        } catch is CancellationError {
            response = Response(status: .clientClosedRequest)
        }
        response.headers[.connection] = "close"
        return response
    }
}

extension HTTPResponse.Status {
    /// 499: the client closed the connection before the answer (nginx's code).
    public static let clientClosedRequest = HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
}
