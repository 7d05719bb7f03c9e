import AsyncHTTPClient
import Foundation
import LabKit
import NIOCore
import NIOHTTP1

/// A lab deployed by compose, as the scenario runner sees it from the one-shot `scenario`
/// container on the lab network: services by their compose DNS name on port 8080, the fault
/// proxies' admin APIs by `<name>-proxy:8474`, the shared Prometheus at `prometheus:9090`.
///
/// Process control differs from the native runtime, because a container cannot signal another:
/// - `kill`: the admin API's `abort` fault (the process SIGKILLs itself, exit 137). The generated
///   compose file runs services with `init: true` (so the process is not PID 1, which ignores
///   SIGKILL) and `restart: on-failure`, so Docker starts it again at once: on this path a killed
///   service comes back by itself, as under a supervisor in production.
/// - `restart`: abort the instances that answer, then wait until every one answers /readyz again.
/// - `start` and `terminate` (deployments, replicas that join later): not supported; on this path
///   every service runs from `compose up` on, `autostart: false` or not.
/// - `stop` (SIGSTOP, a hang): not supported; the action fails with a message saying so (the run
///   goes on and the failure is in its action log). `docker compose pause <service>` does it by hand.
public struct ComposeTarget: LabTarget {
    public let layout: ComposeLayout
    public let adminToken: String?
    let http: HTTPClient
    let readyTimeout: Duration

    public init(manifest: LabManifest, adminToken: String?, http: HTTPClient = .shared, readyTimeout: Duration = .seconds(90)) {
        self.layout = ComposeLayout(manifest: manifest)
        self.adminToken = adminToken.flatMap { $0.isEmpty ? nil : $0 }
        self.http = http
        self.readyTimeout = readyTimeout
    }

    public func serviceURLs(_ service: String) -> [String] { layout.serviceURLs(service) }
    public func infrastructureURL(_ name: String) -> String? { layout.infrastructureURLs[name] }
    public func proxyAdminURL(_ name: String) -> String? { layout.proxyAdminURL(name) }
    public var prometheusURL: String? { ComposeLayout.prometheusURL }

    public struct Unsupported: Error, CustomStringConvertible {
        public var description: String
    }

    public func kill(_ service: String) async throws {
        let urls = try instanceURLs(service)
        for url in urls { try await abort(url) }
    }

    public func stop(_ service: String) async throws {
        throw Unsupported(
            description: """
                stop (SIGSTOP) \(service) is not supported on the compose path: the scenario container cannot \
                pause another container (run the lab natively, or `docker compose pause \(service)` by hand)
                """)
    }

    public func cont(_ service: String) async throws {
        throw Unsupported(description: "continue (SIGCONT) \(service) is not supported on the compose path (stop is not either)")
    }

    public func command(_ infrastructure: String, _ name: String, _ arguments: JSONValue) async throws -> String {
        throw Unsupported(
            description: """
                '\(name)' on \(infrastructure) is not supported on the compose path yet: run the lab natively
                """)
    }

    public func restart(_ service: String) async throws {
        let urls = try instanceURLs(service)
        for url in urls where await isReady(url) { try await abort(url) }
        // Docker restarts it (restart: on-failure); give the old process time to be gone.
        try await Task.sleep(for: .seconds(1))
        for url in urls { try await waitUntilReady(url) }
    }

    /// Waits until every service instance answers /readyz (compose's health checks say the same).
    public func waitUntilReady() async throws {
        for url in layout.allInstanceNames.map(ComposeLayout.url(forInstance:)) { try await waitUntilReady(url) }
    }

    // MARK: internals

    func instanceURLs(_ service: String) throws -> [String] {
        let urls = layout.serviceURLs(service)
        guard !urls.isEmpty else {
            throw Unsupported(
                description:
                    "no service '\(service)' in \(layout.manifest.id) (services: \(layout.allInstanceNames.joined(separator: ", ")))")
        }
        return urls
    }

    func abort(_ base: String) async throws {
        var request = HTTPClientRequest(url: base + "/admin/faults")
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/json")
        if let adminToken { request.headers.add(name: "Authorization", value: "Bearer \(adminToken)") }
        request.body = .bytes(ByteBuffer(string: #"{"abort": {}}"#))
        let response = try await http.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .accepted || response.status == .ok else {
            throw Unsupported(description: "abort \(base): HTTP \(response.status.code) \(text)")
        }
    }

    func isReady(_ base: String) async -> Bool {
        let request = HTTPClientRequest(url: base + "/readyz")
        guard let response = try? await http.execute(request, timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }

    func waitUntilReady(_ base: String) async throws {
        let deadline = ContinuousClock.now + readyTimeout
        while ContinuousClock.now < deadline {
            if await isReady(base) { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw Unsupported(description: "\(base) did not answer /readyz within \(readyTimeout)")
    }
}
