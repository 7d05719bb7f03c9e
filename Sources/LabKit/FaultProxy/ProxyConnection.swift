import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A toxic as the proxy stores it: with an id unique for the proxy's lifetime, so a connection can
/// remember its dice roll (toxicity) and its timers per toxic even if a new one reuses the name.
struct InstalledToxic: Sendable, Hashable {
    let id: Int
    let toxic: Toxic
}

/// What a connection reports back to its proxy.
struct ProxyConnectionHooks: Sendable {
    let metrics: ProxyMetrics
    /// Called once, when both sides are closed.
    let finished: @Sendable (_ connectionID: Int) -> Void
}

/// One accepted client connection and the connection the proxy opened to the upstream server for it.
///
/// Two `StreamPipe`s move the bytes: upstream (client → server) and downstream (server → client).
/// Both channels live on the same event loop, and so does this object: every method runs there.
final class ProxyConnection {
    enum Side { case client, server }
    private enum ServerState { case connecting, connected(Channel), failed, closed }

    let id: Int
    let client: Channel
    private var server = ServerState.connecting
    private var upstream: StreamPipe?
    private var downstream: StreamPipe?
    private let hooks: ProxyConnectionHooks

    private var toxics: [InstalledToxic]
    /// Whether each toxic (by id) affects this connection: rolled once against its toxicity.
    private var rolls: [Int: Bool] = [:]
    /// reset_peer and timeout timers, by toxic id.
    private var toxicTimers: [Int: Scheduled<Void>] = [:]
    private var clientClosed = false
    private var isCut = false
    private var didFinish = false

    init(id: Int, client: Channel, toxics: [InstalledToxic], hooks: ProxyConnectionHooks) {
        self.id = id
        self.client = client
        self.toxics = toxics
        self.hooks = hooks
    }

    // MARK: - Connecting

    func connectUpstream(host: String, port: Int, timeout: TimeAmount) {
        let connection = NIOLoopBound(self, eventLoop: client.eventLoop)
        ClientBootstrap(group: client.eventLoop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            // Nothing is read until both sides exist (see serverConnected).
            .channelOption(ChannelOptions.autoRead, value: false)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ProxySideHandler(connection: connection.value, side: .server))
                }
            }
            .connect(host: host, port: port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel): self.serverConnected(channel)
                case .failure: self.serverFailed()
                }
            }
    }

    private func serverConnected(_ channel: Channel) {
        guard !clientClosed, !isCut else {
            server = .closed
            channel.close(promise: nil)
            finishIfClosed()
            return
        }
        server = .connected(channel)
        let metrics = hooks.metrics
        upstream = StreamPipe(direction: .upstream, source: client, destination: channel) {
            metrics.bytesUpstream.increment(by: $0)
        }
        downstream = StreamPipe(direction: .downstream, source: channel, destination: client) {
            metrics.bytesDownstream.increment(by: $0)
        }
        applyToxics(toxics)
        guard !isCut else { return }
        try? client.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
    }

    /// The upstream refused or timed out: like Toxiproxy, close the client (it sees EOF).
    private func serverFailed() {
        server = .failed
        client.close(promise: nil)
        finishIfClosed()
    }

    // MARK: - Events from ProxySideHandler

    func read(_ buffer: ByteBuffer, from side: Side) {
        pipe(from: side)?.receive(buffer)
    }

    func readComplete(from side: Side) {
        pipe(from: side)?.readComplete()
    }

    func writabilityChanged(of side: Side) {
        // The pipe writing *into* this side may resume or pause its source.
        pipe(into: side)?.updateReading()
    }

    func inactive(_ side: Side) {
        switch side {
        case .client:
            clientClosed = true
            upstream?.sourceDidEnd()
        case .server:
            server = .closed
            downstream?.sourceDidEnd()
        }
        finishIfClosed()
    }

    private func pipe(from side: Side) -> StreamPipe? { side == .client ? upstream : downstream }
    private func pipe(into side: Side) -> StreamPipe? { side == .client ? downstream : upstream }

    private func finishIfClosed() {
        let serverDone: Bool
        switch server {
        case .connecting, .connected: serverDone = false
        case .failed, .closed: serverDone = true
        }
        guard clientClosed, serverDone, !didFinish else { return }
        didFinish = true
        for timer in toxicTimers.values { timer.cancel() }
        toxicTimers.removeAll()
        upstream?.cancel()
        downstream?.cancel()
        hooks.finished(id)
    }

    // MARK: - Faults

    /// Closes both sides now, dropping queued data. With `resetting`, that side gets a TCP RST
    /// (SO_LINGER with a zero timeout makes close(2) send RST instead of FIN).
    func cut(resetting side: Side? = nil) {
        guard !isCut else { return }
        isCut = true
        upstream?.cancel()
        downstream?.cancel()
        for timer in toxicTimers.values { timer.cancel() }
        toxicTimers.removeAll()
        var serverChannel: Channel?
        if case .connected(let channel) = server { serverChannel = channel }
        if let side, let channel = side == .client ? client : serverChannel,
            let options = channel as? SocketOptionProvider
        {
            // On the event loop this sets the option synchronously, before the close below.
            _ = options.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        client.close(promise: nil)
        serverChannel?.close(promise: nil)
    }

    /// Recomputes what each direction's toxics ask for. Called when the connection is established
    /// and whenever the proxy's toxics change (so toxics apply to connections already open).
    func applyToxics(_ toxics: [InstalledToxic]) {
        self.toxics = toxics
        guard let upstream, let downstream, !isCut else { return }
        var effects: [ToxicStream: StreamPipe.Effects] = [.upstream: .init(), .downstream: .init()]
        var timed: Set<Int> = []
        for installed in toxics where affectsThisConnection(installed) {
            let toxic = installed.toxic
            switch toxic.kind {
            case .latency(let latency, let jitter):
                // Several latency toxics add up, as in Toxiproxy's toxic chain.
                effects[toxic.stream]!.latency += latency
                effects[toxic.stream]!.jitter += jitter
            case .bandwidth(let rate):
                effects[toxic.stream]!.bytesPerSecond = min(effects[toxic.stream]!.bytesPerSecond ?? rate, rate)
            case .slowClose(let delay):
                effects[toxic.stream]!.slowClose = max(effects[toxic.stream]!.slowClose, delay)
            case .timeout(let after):
                effects[toxic.stream]!.dropping = true
                if let after {
                    timed.insert(installed.id)
                    startTimer(for: installed.id, after: after) { $0.cut() }
                }
            case .resetPeer(let after):
                timed.insert(installed.id)
                // The side the stream flows into sees the reset: downstream → the client.
                let side: Side = toxic.stream == .downstream ? .client : .server
                startTimer(for: installed.id, after: after) { $0.cut(resetting: side) }
            }
        }
        for (id, timer) in toxicTimers where !timed.contains(id) {
            timer.cancel()
            toxicTimers[id] = nil
        }
        upstream.effects = effects[.upstream]!
        downstream.effects = effects[.downstream]!
    }

    private func affectsThisConnection(_ installed: InstalledToxic) -> Bool {
        if let roll = rolls[installed.id] { return roll }
        let roll = Double.random(in: 0..<1) < installed.toxic.toxicity
        rolls[installed.id] = roll
        return roll
    }

    private func startTimer(for toxicID: Int, after delay: Duration, _ action: @escaping (ProxyConnection) -> Void) {
        guard toxicTimers[toxicID] == nil else { return }
        toxicTimers[toxicID] = client.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
            toxicTimers[toxicID] = nil
            action(self)
        }
    }
}

/// Sits at the end of each channel's pipeline and hands everything to the connection.
final class ProxySideHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: ProxyConnection
    private let side: ProxyConnection.Side

    init(connection: ProxyConnection, side: ProxyConnection.Side) {
        self.connection = connection
        self.side = side
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.read(unwrapInboundIn(data), from: side)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.readComplete(from: side)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.writabilityChanged(of: side)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.inactive(side)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ECONNRESET from a peer and the like: this side is done; channelInactive follows.
        context.close(promise: nil)
    }
}
