import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// Builds and runs one lab service: a Hummingbird app with the standard routes and middleware
/// already installed; the lab adds its own routes to `router`.
///
/// ```swift
/// let service = try LabService(name: "shop-frontend")
/// let backend = try service.context.peer("backend")
/// service.router.get("/hello") { _, _ in try await backend.get("/work").json }
/// try await service.run()
/// ```
/// Installed for you: `/healthz`, `/readyz`, `/metrics`, `/admin/faults`, `/admin/config` (these are not
/// traced and not faulted), then for every lab route a server span + duration histogram and the
/// fault middleware. Listens on `HOST`:`PORT` (default 127.0.0.1:8080); SIGTERM/SIGINT drain in-flight
/// requests (for at most `shutdownGrace`), stop added services (database pools…), then flush spans.
public final class LabService {
    public let context: LabContext
    public let router: Router<LabRequestContext>
    public let telemetry: LabTelemetry
    public private(set) var host: String
    public private(set) var port: Int
    private var services: [any Service] = []
    private var onServerRunning: [@Sendable (Int) async -> Void] = []

    /// `knobs`: the knobs this service declares (a lab role's, `labsvc knobs` lists them). Each one that
    /// is set is checked now, and reading an undeclared one fails; nil declares nothing and checks nothing.
    public init(name: String, environment: [String: String] = ProcessInfo.processInfo.environment, knobs: [any LabKnob]? = nil) throws {
        let common = KnobReader(environment: environment)
        let level = try common.read(Self.logLevel)
        self.telemetry = LabTelemetry.bootstrap(serviceName: name, environment: environment)
        var logger = Logger(label: name)
        logger.logLevel = level
        self.context = try LabContext(serviceName: name, environment: environment, knobs: knobs, logger: logger)
        self.host = try common.read(Self.hostKnob)
        self.port = try common.read(Self.portKnob)
        try context.knobs.checkDeclared()

        let router = Router(context: LabRequestContext.self)
        router.add(middleware: AttachServiceMiddleware(service: context))
        BuiltinRoutes.install(on: router, service: context, telemetry: telemetry)
        AdminRoutes.install(on: router, service: context)
        // Middleware only wraps routes added after it: the lab's routes, not the built-in ones.
        router.add(middleware: ServerTelemetryMiddleware())
        router.add(middleware: FaultMiddleware(faults: context.faults))
        self.router = router
    }

    /// The service's knobs (`try service.knobs.read(SomeSettings.knob)`).
    public var knobs: KnobReader { context.knobs }

    /// `/readyz` answers 503 naming this check while it throws.
    public func addReadinessCheck(_ name: String, _ check: @escaping ReadinessChecks.Check) {
        context.readiness.add(name, check)
    }

    /// A background service (a client pool, a worker loop) started with the server and stopped after it.
    public func addService(_ service: any Service) {
        services.append(service)
    }

    /// Called when the service stops, after the server has drained (closing a client that must be
    /// closed before it is dropped, such as an AsyncHTTPClient or a thread pool).
    public func onShutdown(_ body: @escaping @Sendable () async -> Void) {
        services.append(ShutdownHook(body: body))
    }

    /// Called with the bound port once the server listens (useful with `PORT=0`).
    public func onRunning(_ body: @escaping @Sendable (Int) async -> Void) {
        onServerRunning.append(body)
    }

    /// The Hummingbird application (tests run it with HummingbirdTesting).
    public func makeApplication() -> some ApplicationProtocol {
        let hooks = onServerRunning
        let logger = context.logger
        let name = context.serviceName
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            services: [TelemetryFlushService(telemetry: telemetry)] + services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["service": "\(name)", "address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                for hook in hooks { await hook(port) }
            },
            logger: logger
        )
    }

    /// Runs until SIGTERM/SIGINT; in-flight requests get `shutdownGrace` to finish, then are cancelled.
    public func run() async throws {
        let app = makeApplication()
        var configuration = ServiceGroupConfiguration(
            services: [app],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: context.logger
        )
        configuration.maximumGracefulShutdownDuration = Self.shutdownGrace
        let deadline = Self.exitWhenShutdownOutlives(Self.shutdownGrace + .seconds(1), logger: context.logger)
        defer { deadline.cancel() }
        try await ServiceGroup(configuration: configuration).run()
    }

    /// How long in-flight requests may run after SIGTERM before they are cancelled. Without a bound, a
    /// request hung on a dependency that has no timeout (week 0's naive api waiting on a dead database
    /// connection) keeps the process alive until whoever stops it gives up and kills it.
    public static let shutdownGrace: Duration = .seconds(3)

    /// Cancellation cannot interrupt a call that ignores it (a query on a connection that will never
    /// answer), so a shutdown still running `limit` after the signal ends the process here.
    private static func exitWhenShutdownOutlives(_ limit: Duration, logger: Logger) -> Task<Void, Never> {
        Task {
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled else { return }
                logger.warning("requests still in flight \(limit) after \(signal): exiting without them")
                exit(0)
            }
        }
    }
}

extension LabService {
    static let portKnob = Knob.wholeNumber("PORT", default: 8080, in: 0...65535, "the port the service listens on (0: any free port)")
    static let hostKnob = Knob.string("HOST", default: "127.0.0.1", "the address the service listens on")
    static let logLevel = Knob<Logger.Level>.choice("LOG_LEVEL", default: .info, "the least severe log level written")

    /// What every service reads, whatever it declares: `PORT`, `HOST`, `LOG_LEVEL`.
    public static let commonKnobs: [any LabKnob] = [portKnob, hostKnob, logLevel]
}

/// Runs its body once the service group shuts down.
struct ShutdownHook: Service {
    let body: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await body()
    }
}

/// Flushes spans when the service group shuts down. Listed first among the app's services, so the
/// group stops it last — after the server has drained and the other services have stopped.
struct TelemetryFlushService: Service {
    let telemetry: LabTelemetry

    func run() async throws {
        try? await gracefulShutdown()
        await telemetry.flush()
    }
}
