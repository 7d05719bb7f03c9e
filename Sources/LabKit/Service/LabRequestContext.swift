import Hummingbird
import NIOCore
import Tracing

/// The per-request context every lab route receives.
///
/// Besides Hummingbird's core storage it carries the caller's address (the admin API only answers
/// loopback callers), the server span of this request (so lab code can add attributes to it), and
/// the service it belongs to (`context.config`, `context.lab.peer("backend")`).
public struct LabRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Asked of the channel only when read (the admin API's check): reading it takes the channel's
    /// lock and copies the address, which every request would otherwise pay for.
    public var remoteAddress: SocketAddress? { channel.remoteAddress }
    private let channel: any Channel
    /// The server span of this request; set by the telemetry middleware.
    public internal(set) var span: (any Span)?
    var attachedService: LabContext?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The service handling this request.
    public var lab: LabContext {
        guard let attachedService else { preconditionFailure("LabRequestContext used on a router not built by LabService") }
        return attachedService
    }

    /// The lab's run-time knobs (see `LabConfig`).
    public var config: LabConfig { lab.config }
}

/// The outermost middleware: hands every request its service.
struct AttachServiceMiddleware: RouterMiddleware {
    let service: LabContext

    func handle(
        _ request: Request, context: LabRequestContext, next: (Request, LabRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.attachedService = service
        return try await next(request, context)
    }
}
