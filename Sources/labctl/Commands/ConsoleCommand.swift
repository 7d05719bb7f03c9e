import ArgumentParser
import Foundation
import LabControl

/// `labctl console`: the lab console without starting a lab — stored traces, the latest comparisons,
/// Jaeger's query API; a lab can be started from its page. `labctl up` serves the same console.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "Serve the lab console over the stored traces and comparisons (no lab started).",
        discussion: """
            Serves the console on 127.0.0.1 (and the OTLP receiver that feeds its
            trace store) until Ctrl-C. Start a lab from its page, or use
            `labctl up <lab>`, which serves the console too.
            """)
    @Option(name: .customLong("console-port"), help: "Port of the lab console on 127.0.0.1 (a free one if taken).") var consolePort: Int =
        7474
    @Option(name: .customLong("otlp-port"), help: "Port of the embedded OTLP receiver (a free one if taken).") var otlpPort: Int = 4318
    @OptionGroup var locations: LabLocations

    func run() async throws {
        let signals = ShutdownSignals()
        let options = RuntimeOptions(stateDirectory: locations.stateDirectory, log: note)
        let host: ConsoleHost
        do {
            host = try await ConsoleHost.start(catalog: locations.catalog(), options: options, otlpPort: otlpPort, consolePort: consolePort)
        } catch let error as LabAlreadyRunningError {
            throw Failure("\(error) (its console is in \(LabEndpoints.file(in: locations.stateDirectory).path))")
        }
        print("console  \(host.server.url ?? "-")")
        print("otlp     \(host.receiver.endpoint ?? "-")")
        fflush(nil)
        note("Lab console: \(host.server.url ?? "-") (Ctrl-C stops it)")
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await host.serveControlChannel() }
            group.addTask { await signals.next() }
            await group.next()
            group.cancelAll()
        }
        await host.stop()
    }
}
