import Foundation
import Logging
import ServiceLifecycle

/// The proxy as a process (`labsvc proxy`): the proxy and its control API in one service group,
/// telemetry bootstrapped like any lab service, stopped by SIGTERM or SIGINT.
public enum FaultProxyServer {
    public static func run(
        name: String = "proxy", listen: HostPort, upstream: HostPort, admin: HostPort,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws {
        let telemetry = LabTelemetry.bootstrap(
            serviceName: environment["OTEL_SERVICE_NAME"] ?? name, environment: environment)
        let logger = Logger(label: name)
        let proxy = FaultProxy(
            name: name, listenHost: listen.host, listenPort: listen.port,
            upstreamHost: upstream.host, upstreamPort: upstream.port)
        // Listen before announcing, so whoever reads the line can connect at once.
        try await proxy.start()
        let token = environment["LAB_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let control = FaultProxyAdmin.application(
            for: proxy, host: admin.host, port: admin.port, token: token, telemetry: telemetry, logger: logger
        ) { channel in
            let adminPort = channel.localAddress?.port ?? admin.port
            logger.info(
                "proxy listening",
                metadata: [
                    "listen": "\(HostPort(host: listen.host, port: proxy.listenPort))",
                    "upstream": "\(upstream)", "admin": "http://\(HostPort(host: admin.host, port: adminPort))",
                ])
            // One unbuffered line on stdout for scripts and supervisors waiting for readiness.
            let line =
                "proxy \(name): listening on \(HostPort(host: listen.host, port: proxy.listenPort)) -> \(upstream); "
                + "control API on http://\(HostPort(host: admin.host, port: adminPort))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: proxy), .init(service: control)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        await telemetry.flush()
    }
}
