import ArgumentParser
import Dispatch
import Foundation
import LabControl

#if canImport(Glibc)
import Glibc
#endif

/// `labctl up <lab>`: start the lab natively and stay up until Ctrl-C, SIGTERM or `labctl down`.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Start a lab and stay up (Ctrl-C stops everything).",
        discussion: """
            Starts the lab's infrastructure (redis-server, PostgreSQL, Prometheus)
            and services (labsvc) on free 127.0.0.1 ports, serves the lab console
            (live dashboards, traces, fault controls, the latest comparison,
            Jaeger's query API), prints where everything answers and writes
            .lab/endpoints.json and a Grafana provisioning file under .lab/grafana/.
            In another terminal: labctl logs <service> -f,
            labctl kill|stop|cont|restart <service>, labctl traces, labctl down.
            """)
    @Argument(help: "The lab: week number (7, week07) or slug.") var lab: String
    @Option(help: "The variant to start.") var variant: String = "before"
    @Option(name: .customLong("otlp-port"), help: "Port of the embedded OTLP receiver (a free one if taken).") var otlpPort: Int = 4318
    @Option(name: .customLong("console-port"), help: "Port of the lab console on 127.0.0.1 (a free one if taken).") var consolePort: Int =
        7474
    @OptionGroup var locations: LabLocations

    func run() async throws {
        let entry = try locations.catalog().resolve(lab)
        // Ctrl-C and SIGTERM end the wait below instead of killing labctl outright.
        let signals = ShutdownSignals()
        let options = RuntimeOptions(stateDirectory: locations.stateDirectory, variant: variant, log: note)
        let host: ConsoleHost
        do {
            host = try await ConsoleHost.start(catalog: locations.catalog(), options: options, otlpPort: otlpPort, consolePort: consolePort)
        } catch let error as LabAlreadyRunningError {
            throw Failure("\(error)")
        }
        let running: RunningLab
        do {
            try await host.lab.start(entry, variant: variant)
            running = await host.lab.running!
        } catch {
            await host.stop()
            if let error = error as? LabAlreadyRunningError { throw Failure("\(error)") }
            throw error
        }
        print(Self.describe(running, console: host.server.url))
        fflush(nil) // the table reaches a pipe or file now, not at exit
        if let grafana = host.grafanaProvisioning { note("Grafana data sources for this run: \(grafana.path)") }
        note("\n\(running.manifest.id) (\(running.variant)) is up. Lab console: \(host.server.url ?? "-")")
        note("Ctrl-C or `labctl down` stops it.")
        // A process dying on its own (not through `labctl kill`/`restart`) is reported as it happens;
        // the lab stays up for you to look at (`labctl restart <service>` brings a service back).
        let watch = ProcessWatch(lab: running, report: { exit in note("\(exit)") })

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await host.serveControlChannel() }
            group.addTask { await signals.next() }
            await group.next()
            group.cancelAll()
        }
        watch.stop()
        note("stopping \(running.manifest.id)…")
        await host.stop()
    }

    static func describe(_ lab: RunningLab, console: String? = nil) -> String {
        var rows: [[String]] = []
        if let console { rows.append(["console", console, "open in a browser"]) }
        for instance in lab.instances {
            rows.append([instance.name, instance.url, lab.endpoints.logs[instance.name] ?? ""])
        }
        for (name, url) in lab.endpoints.infrastructure.sorted(by: { $0.key < $1.key }) {
            rows.append([name, url, lab.endpoints.logs[name] ?? ""])
        }
        if let otlp = lab.endpoints.otlp { rows.append(["otlp", otlp, "labctl traces"]) }
        return table(["NAME", "URL", "LOG"], rows)
    }
}

/// SIGINT/SIGTERM as an async event.
/// @unchecked: `sources` is only kept alive after init, never touched again; `stream` is Sendable.
final class ShutdownSignals: @unchecked Sendable {
    private let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func next() async {
        for await _ in stream { return }
    }
}
