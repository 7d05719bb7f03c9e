import AsyncHTTPClient
import NIOPosix

/// The AsyncHTTPClient every peer call of this process shares (connection pools are per client, so sharing it keeps
/// keep-alive connections to peers warm). AsyncHTTPClient's own tracing is switched off: `PeerClient`
/// makes the client span itself, named and labelled by our conventions.
public enum LabHTTPClient {
    public static let shared: HTTPClient = make(redirects: .follow(max: 5, allowCycles: false))

    /// The same, except that a 3xx answer comes back as it is (its `location` readable) instead of being
    /// followed: for checking where a redirect points.
    public static let notFollowingRedirects: HTTPClient = make(redirects: .disallow)

    private static func make(redirects: HTTPClient.Configuration.RedirectConfiguration) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = redirects
        configuration.tracing.tracer = nil
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // A refused connection fails the call at once instead of being retried until the deadline:
        // the labs' own retry policies and circuit breakers must see the failure, and see it fast.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(3)
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }
}
