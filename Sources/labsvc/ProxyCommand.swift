import ArgumentParser
import LabKit

/// `labsvc proxy`: the fault-injecting TCP proxy in front of a lab's infrastructure.
///
///     labsvc proxy --listen 127.0.0.1:16379 --upstream 127.0.0.1:6379 --admin 127.0.0.1:8474
///     curl -X POST 127.0.0.1:8474/toxics -d '{"type":"latency","attributes":{"latency":200}}'
///     curl -X POST 127.0.0.1:8474/proxy/down
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the fault-injecting TCP proxy (latency, bandwidth, reset, timeout, down/up).",
        discussion: """
            Clients connect to --listen; every connection is forwarded to --upstream. The HTTP control \
            API on --admin (GET /proxy, POST /proxy/down|up, GET|POST|DELETE /toxics) answers loopback \
            callers, or callers with 'Authorization: Bearer $LAB_ADMIN_TOKEN' when that is set. \
            Runs until SIGTERM or SIGINT.
            """
    )

    @Option(help: "Where clients connect, HOST:PORT (port 0: any free port).")
    var listen: String

    @Option(help: "The server to forward to, HOST:PORT.")
    var upstream: String

    @Option(help: "The HTTP control API's address, HOST:PORT (port 0: any free port).")
    var admin: String

    @Option(help: "The proxy's name in metrics (the `proxy` label) and logs.")
    var name: String = "proxy"

    func validate() throws {
        _ = try addresses()
    }

    func run() async throws {
        let (listen, upstream, admin) = try addresses()
        try await FaultProxyServer.run(name: name, listen: listen, upstream: upstream, admin: admin)
    }

    private func addresses() throws -> (listen: HostPort, upstream: HostPort, admin: HostPort) {
        func parse(_ flag: String, _ text: String, allowPortZero: Bool) throws -> HostPort {
            do {
                return try HostPort(parsing: text, allowPortZero: allowPortZero)
            } catch {
                throw ValidationError("--\(flag): \(error)")
            }
        }
        return (
            try parse("listen", listen, allowPortZero: true),
            try parse("upstream", upstream, allowPortZero: false),
            try parse("admin", admin, allowPortZero: true)
        )
    }
}
