import AsyncHTTPClient
import NIOPosix

/// The one AsyncHTTPClient of this process (connection pools are per client, so sharing it keeps
/// keep-alive connections to peers warm). AsyncHTTPClient's own tracing is switched off: `PeerClient`
/// makes the client span itself, named and labelled by our conventions.
public enum LabHTTPClient {
    public static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.tracing.tracer = nil
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()
}
