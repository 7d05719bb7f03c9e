import Foundation
import HTTPTypes
import Hummingbird
import LabKit
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The lab console `labctl up` serves on loopback: pages, their JSON API, the controls, and Jaeger's
/// query API over the trace store.
///
/// Who may do what:
/// - Every request must come from a loopback address and name this server in its `Host` header
///   (`127.0.0.1:PORT` or `localhost:PORT`), so a web page elsewhere cannot reach it through DNS
///   rebinding.
/// - Controls are POSTs that must also carry the console's token in `X-Console-Token`. The pages hold
///   the token; another site's page cannot read them (same-origin policy), so it cannot forge a
///   control (and a custom header cannot be sent cross-site without a preflight this server refuses).
public final class ConsoleServer: Sendable {
    public let lab: ConsoleLab
    public let token: String
    let panels: ConsolePanels
    let api: ConsoleAPI
    let jaeger: JaegerAPI
    let pages: ConsolePages
    private let running = Mutex<(task: Task<Void, Never>, group: ServiceGroup, port: Int)?>(nil)
    private let logger: Logger

    public init(lab: ConsoleLab, token: String = ConsoleServer.newToken()) {
        self.lab = lab
        self.token = token
        self.panels = ConsolePanels(lab: lab)
        self.api = ConsoleAPI(lab: lab, panels: panels)
        self.jaeger = JaegerAPI(store: lab.store)
        self.pages = ConsolePages(token: token)
        var logger = Logger(label: "labctl.console")
        logger.logLevel = .warning
        self.logger = logger
    }

    /// 32 random hex digits.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }

    public var port: Int? { running.withLock { $0?.port } }
    public var url: String? { port.map { "http://127.0.0.1:\($0)" } }

    /// Listens on 127.0.0.1:`port` (0: a free port; a taken port falls back to a free one).
    @discardableResult
    public func start(port: Int = 0) async throws -> Int {
        if let bound = self.port { return bound }
        let server: (task: Task<Void, Never>, group: ServiceGroup, port: Int)
        do {
            server = try await launch(port: port)
        } catch  where port != 0 {
            server = try await launch(port: 0)
        }
        running.withLock { $0 = server }
        await lab.setConsoleURL("http://127.0.0.1:\(server.port)")
        return server.port
    }

    public func stop() async {
        guard
            let server = running.withLock({ r in
                defer { r = nil }
                return r
            })
        else { return }
        await server.group.triggerGracefulShutdown()
        await server.task.value
    }

    private func launch(port: Int) async throws -> (task: Task<Void, Never>, group: ServiceGroup, port: Int) {
        let (events, event) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let router = Router(context: ConsoleRequestContext.self)
        router.add(middleware: ConsoleGuardMiddleware(server: self))
        routes(router)
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in event.yield(.success(channel.localAddress?.port ?? port)) },
            logger: logger)
        var configuration = ServiceGroupConfiguration(services: [.init(service: app)], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(3)
        let group = ServiceGroup(configuration: configuration)
        let task = Task {
            do {
                try await group.run()
                event.yield(.failure(RuntimeError("the console stopped before it listened")))
            } catch {
                event.yield(.failure(RuntimeError("the console could not listen on 127.0.0.1:\(port): \(error)")))
            }
            event.finish()
        }
        for await result in events {
            switch result {
            case .success(let bound): return (task, group, bound)
            case .failure(let error):
                task.cancel()
                throw error
            }
        }
        throw RuntimeError("the console did not start")
    }

    private func routes(_ router: Router<ConsoleRequestContext>) {
        // Pages.
        router.get("/") { _, _ in self.pages.home() }
        router.get("/labs/:lab") { _, context in self.pages.lab(try context.parameters.require("lab")) }
        router.get("/traces") { _, _ in self.pages.traces() }
        router.get("/traces/:traceID") { _, context in self.pages.trace(try context.parameters.require("traceID")) }
        router.get("/compare") { _, _ in self.pages.compare() }
        router.get("/assets/:file") { _, context in try ConsoleAssets.response(for: try context.parameters.require("file")) }

        // The pages' JSON API.
        router.get("/console/api/catalog") { _, _ in await self.api.catalog() }
        router.get("/console/api/state") { _, _ in await self.api.state() }
        router.get("/console/api/labs/:lab") { _, context in try await self.api.labInfo(try context.parameters.require("lab")) }
        router.get("/console/api/panels") { request, _ in try await self.api.panels(ConsoleHTTP.query(request)) }
        router.get("/console/api/traces") { request, _ in try self.api.traces(ConsoleHTTP.query(request)) }
        router.get("/console/api/traces/:traceID") { _, context in try self.api.trace(try context.parameters.require("traceID")) }
        router.get("/console/api/comparison") { request, _ in try await self.api.comparison(ConsoleHTTP.query(request)) }
        router.post("/console/api/control/:verb") { request, context in
            try await self.api.control(try context.parameters.require("verb"), body: try await ConsoleHTTP.body(request))
        }

        // The running lab's Prometheus at a URL that outlives variant switches (for Grafana), GET only.
        router.get("/prometheus/**") { request, _ in try await self.api.prometheus(request) }

        // Jaeger's query API.
        router.get("/api/services") { _, _ in self.jaeger.services() }
        router.get("/api/services/:service/operations") { _, context in self.jaeger.operations(try context.parameters.require("service")) }
        router.get("/api/operations") { request, _ in try self.jaeger.operations(query: ConsoleHTTP.query(request)) }
        router.get("/api/traces") { request, _ in try self.jaeger.traces(ConsoleHTTP.query(request)) }
        router.get("/api/traces/:traceID") { _, context in try self.jaeger.trace(try context.parameters.require("traceID")) }
        router.get("/api/dependencies") { request, _ in try self.jaeger.dependencies(ConsoleHTTP.query(request)) }
    }
}

/// The per-request context: Hummingbird's storage plus the caller's address.
public struct ConsoleRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    private let channel: any Channel
    public var remoteAddress: SocketAddress? { channel.remoteAddress }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Loopback callers naming this server only; POSTs need the token too. Errors come back as JSON:
/// Jaeger's envelope under `/api/`, `{"error": …, "parameter": …}` elsewhere.
struct ConsoleGuardMiddleware: RouterMiddleware {
    let server: ConsoleServer

    func handle(
        _ request: Request, context: ConsoleRequestContext, next: (Request, ConsoleRequestContext) async throws -> Response
    ) async throws -> Response {
        let jaegerStyle = request.uri.path.hasPrefix("/api/")
        do {
            try check(request, context)
            return try await next(request, context)
        } catch let error as ConsoleRequestError {
            return ConsoleHTTP.error(error, jaegerStyle: jaegerStyle)
        } catch let error as HTTPError where error.status == .notFound {
            return ConsoleHTTP.error(ConsoleRequestError(status: 404, "no such page or API: \(request.uri.path)"), jaegerStyle: jaegerStyle)
        } catch let error as HTTPError {
            return ConsoleHTTP.error(
                ConsoleRequestError(status: Int(error.status.code), "\(error.body ?? error.status.reasonPhrase)"), jaegerStyle: jaegerStyle)
        } catch {
            return ConsoleHTTP.error(ConsoleRequestError(status: 500, "\(error)"), jaegerStyle: jaegerStyle)
        }
    }

    private func check(_ request: Request, _ context: ConsoleRequestContext) throws(ConsoleRequestError) {
        guard ConsoleHTTP.isLoopback(context.remoteAddress) else {
            throw ConsoleRequestError(status: 403, "the console answers loopback callers only")
        }
        let host = request.head.authority ?? ""
        guard let port = server.port, ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"].contains(host.lowercased()) else {
            throw ConsoleRequestError(status: 403, "Host '\(host)' is not this console (use http://127.0.0.1:\(server.port ?? 0))")
        }
        guard request.method == .post else { return }
        guard request.headers[HTTPField.Name("X-Console-Token")!] == server.token else {
            throw ConsoleRequestError(status: 403, "controls need the console's token (X-Console-Token); reload the page")
        }
        if let origin = request.headers[.origin], !["http://127.0.0.1:\(port)", "http://localhost:\(port)"].contains(origin) {
            throw ConsoleRequestError(status: 403, "cross-origin control refused (Origin \(origin))")
        }
    }
}
