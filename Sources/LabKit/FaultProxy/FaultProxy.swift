import CoreMetrics
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A fault-injecting TCP proxy in the spirit of Toxiproxy: put it between a service and its Redis
/// or PostgreSQL, then take the dependency down, slow it, throttle it, reset or hang its
/// connections, while the service keeps pointing at the same address.
///
///     let proxy = FaultProxy(upstreamHost: "127.0.0.1", upstreamPort: 6379)
///     try await proxy.start()                       // proxy.listenPort: where clients connect
///     try proxy.addToxic(Toxic(kind: .latency(latency: .milliseconds(200), jitter: .zero)))
///     await proxy.disable()                         // "down": refused, open connections cut
///     try await proxy.enable()                      // "up"
///
/// It is event-driven (SwiftNIO): one event loop group serves every connection, each client
/// connection and its upstream connection share one event loop, and back-pressure stops reading
/// from a side whose peer cannot take more bytes. Control it in-process, or over HTTP with
/// `FaultProxyAdmin`.
public final class FaultProxy: Sendable {
    public let name: String
    public let listenHost: String
    public let upstreamHost: String
    public let upstreamPort: Int
    /// How long to wait for the upstream to accept a connection before closing the client's.
    public let upstreamConnectTimeout: Duration

    private let group: any EventLoopGroup
    private let metrics: ProxyMetrics
    private let state: Mutex<State>

    private struct State {
        var listenPort: Int
        var isEnabled = true
        var listener = Listener.stopped
        var connections: [Int: NIOLoopBound<ProxyConnection>] = [:]
        var toxics: [InstalledToxic] = []
        var nextConnectionID = 0
        var nextToxicID = 0
        var isShutDown = false
    }

    private enum Listener {
        case stopped
        case binding
        case listening(Channel)
    }

    public init(
        name: String = "proxy", listenHost: String = "127.0.0.1", listenPort: Int = 0,
        upstreamHost: String, upstreamPort: Int, upstreamConnectTimeout: Duration = .seconds(5),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.name = name
        self.listenHost = listenHost
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.upstreamConnectTimeout = upstreamConnectTimeout
        self.group = group
        self.metrics = ProxyMetrics(proxyName: name, factory: metricsFactory ?? MetricsSystem.factory)
        self.state = Mutex(State(listenPort: listenPort))
        metrics.recordToxics([])
        metrics.activeConnections.record(0)
        metrics.up.record(0)
    }

    // MARK: - State

    /// The port clients connect to (the kernel's choice after `start()` when 0 was asked for).
    public var listenPort: Int { state.withLock { $0.listenPort } }
    /// False while the proxy is "down".
    public var isEnabled: Bool { state.withLock { $0.isEnabled } }
    public var activeConnections: Int { state.withLock { $0.connections.count } }
    public var toxics: [Toxic] { state.withLock { $0.toxics.map(\.toxic) } }

    // MARK: - Up and down

    /// Starts listening (if the proxy is enabled and not already listening).
    public func start() async throws {
        try await bindIfNeeded()
    }

    /// "down": refuses new connections (the listening socket is closed, so clients get
    /// ECONNREFUSED, exactly as if the server were gone) and cuts every open connection.
    public func disable() async {
        let (listener, connections) = state.withLock { state -> (Channel?, [NIOLoopBound<ProxyConnection>]) in
            state.isEnabled = false
            metrics.up.record(0) // under the lock, so a bind finishing at the same time cannot undo it
            var listener: Channel?
            if case .listening(let channel) = state.listener {
                listener = channel
                state.listener = .stopped
            }
            return (listener, Array(state.connections.values))
        }
        try? await listener?.close()
        // Wait for every cut, so that when "down" returns no connection through the proxy is still
        // open (a client's next command must see its connection gone, not race the cut).
        await withTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask { try? await connection._eventLoop.submit { connection.value.cut() }.get() }
            }
        }
    }

    /// "up": listens again on the same port.
    public func enable() async throws {
        state.withLock { $0.isEnabled = true }
        try await bindIfNeeded()
    }

    /// Stops listening and cuts every connection, for good.
    public func shutdown() async {
        state.withLock { $0.isShutDown = true }
        await disable()
    }

    private func bindIfNeeded() async throws {
        let (shouldBind, port) = state.withLock { state -> (Bool, Int) in
            guard state.isEnabled, !state.isShutDown, case .stopped = state.listener else { return (false, 0) }
            state.listener = .binding
            return (true, state.listenPort)
        }
        guard shouldBind else { return }
        let channel: Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                // A client's bytes wait in the kernel until the upstream connection exists.
                .childChannelOption(ChannelOptions.autoRead, value: false)
                .childChannelInitializer { [self] channel in accept(channel) }
                .bind(host: listenHost, port: port)
                .get()
        } catch {
            state.withLock { $0.listener = .stopped }
            throw FaultProxyError.cannotListen("\(listenHost):\(port)", "\(error)")
        }
        let keep = state.withLock { state -> Bool in
            // `disable()` may have run while we were binding.
            guard state.isEnabled, !state.isShutDown else {
                state.listener = .stopped
                return false
            }
            state.listener = .listening(channel)
            state.listenPort = channel.localAddress?.port ?? port
            metrics.up.record(1)
            return true
        }
        if !keep { try? await channel.close() }
    }

    /// Runs on the new connection's event loop.
    private func accept(_ channel: Channel) -> EventLoopFuture<Void> {
        let hooks = ProxyConnectionHooks(metrics: metrics) { [weak self] id in self?.connectionFinished(id) }
        let id = state.withLock { state -> Int in
            state.nextConnectionID += 1
            return state.nextConnectionID
        }
        let connection = ProxyConnection(id: id, client: channel, toxics: [], hooks: hooks)
        // Register and read the toxics in one step: a later change is delivered by `broadcast`.
        let registered = state.withLock { state -> (toxics: [InstalledToxic], active: Int)? in
            guard state.isEnabled else { return nil }
            state.connections[id] = NIOLoopBound(connection, eventLoop: channel.eventLoop)
            return (state.toxics, state.connections.count)
        }
        guard let registered else { return channel.close() }
        metrics.connectionsTotal.increment()
        metrics.activeConnections.record(registered.active)
        connection.applyToxics(registered.toxics)
        do {
            try channel.pipeline.syncOperations.addHandler(ProxySideHandler(connection: connection, side: .client))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        connection.connectUpstream(host: upstreamHost, port: upstreamPort, timeout: TimeAmount(upstreamConnectTimeout))
        return channel.eventLoop.makeSucceededVoidFuture()
    }

    private func connectionFinished(_ id: Int) {
        let active = state.withLock { state -> Int in
            state.connections[id] = nil
            return state.connections.count
        }
        metrics.activeConnections.record(active)
    }

    // MARK: - Toxics

    /// Installs a toxic; it applies to new connections and to those already open.
    public func addToxic(_ toxic: Toxic) throws(FaultProxyError) {
        try changeToxics { toxics, nextID throws(FaultProxyError) in
            guard !toxics.contains(where: { $0.toxic.name == toxic.name }) else {
                throw .duplicateToxic(toxic.name)
            }
            nextID += 1
            toxics.append(InstalledToxic(id: nextID, toxic: toxic))
        }
    }

    /// Removes a toxic by name; false when there was none.
    @discardableResult
    public func removeToxic(named name: String) -> Bool {
        var removed = false
        try? changeToxics { toxics, _ in
            let before = toxics.count
            toxics.removeAll { $0.toxic.name == name }
            removed = toxics.count != before
        }
        return removed
    }

    /// Removes every toxic.
    public func removeAllToxics() {
        try? changeToxics { toxics, _ in toxics.removeAll() }
    }

    private func changeToxics(
        _ change: (inout [InstalledToxic], inout Int) throws(FaultProxyError) -> Void
    ) throws(FaultProxyError) {
        let (toxics, connections) = try state.withLock {
            state throws(FaultProxyError) -> ([InstalledToxic], [NIOLoopBound<ProxyConnection>]) in
            try change(&state.toxics, &state.nextToxicID)
            return (state.toxics, Array(state.connections.values))
        }
        metrics.recordToxics(toxics.map(\.toxic))
        for connection in connections {
            connection._eventLoop.execute { connection.value.applyToxics(toxics) }
        }
    }
}

extension FaultProxy: Service {
    /// Listens until graceful shutdown (for a `ServiceGroup`).
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await shutdown()
    }
}

public enum FaultProxyError: Error, Sendable, Hashable, CustomStringConvertible {
    case cannotListen(String, String)
    case duplicateToxic(String)

    public var description: String {
        switch self {
        case .cannotListen(let address, let reason): return "cannot listen on \(address): \(reason)"
        case .duplicateToxic(let name): return "a toxic named '\(name)' already exists"
        }
    }
}
