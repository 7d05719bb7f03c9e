import Foundation

/// What `labctl up` runs: the trace store and its OTLP receiver, the console on loopback, and the lab
/// (which the console may later restart in another variant). Also serves `labctl kill|stop|cont|restart`
/// from other terminals for whichever lab is running.
public final class ConsoleHost: Sendable {
    public let lab: ConsoleLab
    public let server: ConsoleServer
    public let receiver: OTLPReceiver
    /// Where the Grafana provisioning file was written.
    public let grafanaProvisioning: URL?

    init(lab: ConsoleLab, server: ConsoleServer, receiver: OTLPReceiver, grafanaProvisioning: URL?) {
        self.lab = lab
        self.server = server
        self.receiver = receiver
        self.grafanaProvisioning = grafanaProvisioning
    }

    /// Starts the receiver and the console (no lab yet: `lab.start(entry, variant:)` does that).
    /// - Parameters:
    ///   - options: how labs are started; its `otlp` is replaced by the console's receiver.
    ///   - otlpPort: the receiver's port (a free one if taken).
    ///   - consolePort: the console's port (0 or taken: a free one).
    public static func start(
        catalog: LabCatalog, options: RuntimeOptions, otlpPort: Int = OTLPReceiver.defaultPort,
        consolePort: Int = 0
    ) async throws -> ConsoleHost {
        if let state = LabState.read(from: options.stateDirectory), state.controllerIsAlive {
            throw LabAlreadyRunningError(lab: state.lab, variant: state.variant, controllerPid: state.controllerPid)
        }
        let store = try TraceStore(directory: options.stateDirectory.appendingPathComponent("traces").path)
        let receiver = OTLPReceiver(store: store, configuration: .init(port: otlpPort))
        let port = try await receiver.start()
        var labOptions = options
        labOptions.otlp = .external("http://127.0.0.1:\(port)")
        labOptions.externalTraceStore = store
        let lab = ConsoleLab(catalog: catalog, store: store, options: labOptions)
        let server = ConsoleServer(lab: lab)
        do {
            try await server.start(port: consolePort)
        } catch {
            await receiver.stop()
            throw error
        }
        let grafana = try? GrafanaProvisioning.write(consoleURL: server.url!, stateDirectory: options.stateDirectory)
        return ConsoleHost(lab: lab, server: server, receiver: receiver, grafanaProvisioning: grafana)
    }

    /// Serves the control channel of whichever lab runs, until cancelled.
    public func serveControlChannel() async {
        while !Task.isCancelled {
            guard let running = await lab.running else {
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // `labctl kill|stop|cont|restart` from a terminal: marked on the charts like the page's own controls.
                    await running.serveControlRequests { what, error in await self.lab.recordControl(what, error: error) }
                }
                group.addTask {
                    while !Task.isCancelled, await self.lab.running === running { try? await Task.sleep(for: .milliseconds(200)) }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Stops the lab, then the console and the receiver.
    public func stop() async {
        await lab.stop()
        await server.stop()
        await receiver.stop()
    }
}
