import Foundation

/// A fault-injecting TCP proxy (`labsvc proxy`) in front of a piece of infrastructure marked
/// `proxied: true`. Services get the proxy's address instead of the server's, so the scenario
/// can cut, slow or reset their connections (`proxy_toxic`) while the server itself stays healthy.
struct FaultProxyProcess {
    let process: ChildProcess
    let listenPort: Int
    let adminPort: Int

    var adminURL: String { "http://127.0.0.1:\(adminPort)" }

    /// Starts the proxy on the ports given (chosen up front, so Prometheus can scrape its admin API
    /// from the first tick), or on free ones.
    static func start(
        name: String, upstreamPort: Int, labsvc: URL, directory: URL, readyTimeout: Duration,
        ports: (listen: Int, admin: Int)? = nil
    ) async throws -> FaultProxyProcess {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listenPort = try ports?.listen ?? FreePort.next()
        let adminPort = try ports?.admin ?? FreePort.next()
        let process = try ChildProcess.spawn(
            name: "\(name)-proxy", executable: labsvc,
            arguments: [
                "proxy", "--name", name, "--listen", "127.0.0.1:\(listenPort)",
                "--upstream", "127.0.0.1:\(upstreamPort)", "--admin", "127.0.0.1:\(adminPort)",
            ],
            environment: ChildProcess.minimalEnvironment(), directory: directory,
            logFile: directory.appendingPathComponent("proxy.log"), deathSignal: SIGTERM)
        try await Readiness.wait(for: process, what: "fault proxy for \(name)", timeout: readyTimeout, interval: .milliseconds(50)) {
            Probe.httpGet(port: adminPort, path: "/proxy")?.status == 200
        }
        return FaultProxyProcess(process: process, listenPort: listenPort, adminPort: adminPort)
    }

    /// The same URL with the server's port replaced by the proxy's.
    static func rewrite(_ url: String, toPort port: Int) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.port = port
        return components.string ?? url
    }
}
