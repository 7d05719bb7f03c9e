import LabKit
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Carries out a scenario's timed actions against a running lab: faults and knobs through each
/// service's admin API, toxics through the fault proxy's API, process control through the runtime.
public struct ActionExecutor: Sendable {
    let lab: any LabTarget
    let http: HTTPClient

    public init(lab: any LabTarget, http: HTTPClient = .shared) {
        self.lab = lab
        self.http = http
    }

    public struct ActionError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A short human description, as the run log and the report show it.
    public static func describe(_ kind: ActionSpec.Kind) -> String {
        switch kind {
        case .setFault(let service, let fault): "fault on \(service): \(fault)"
        case .clearFault(let service): "clear faults on \(service)"
        case .proxyToxic(let proxy, let toxic): "proxy \(proxy): \(toxic)"
        case .kill(let service): "kill \(service)"
        case .stop(let service): "stop (SIGSTOP) \(service)"
        case .restart(let service): "restart \(service)"
        case .setConfig(let service, let knobs): "config of \(service): \(JSONValue.object(knobs))"
        }
    }

    public func perform(_ kind: ActionSpec.Kind) async throws {
        switch kind {
        case .setFault(let service, let fault):
            try await send("PUT", toEach: service, path: "/admin/faults", body: fault)
        case .clearFault(let service):
            try await send("DELETE", toEach: service, path: "/admin/faults", body: nil)
        case .setConfig(let service, let knobs):
            try await send("PUT", toEach: service, path: "/admin/config", body: .object(knobs))
        case .proxyToxic(let proxy, let toxic):
            guard let admin = lab.proxyAdminURL(proxy) else { throw ActionError(description: "no fault proxy for '\(proxy)'") }
            let (method, path, body) = Self.proxyRequest(for: toxic)
            try await request(method, admin + path, body: body)
        case .kill(let service): try await lab.kill(service)
        case .stop(let service): try await lab.stop(service)
        case .restart(let service): try await lab.restart(service)
        }
    }

    /// A manifest toxic as a fault-proxy API call:
    /// `{type: down}` / `{type: up}` switch the proxy off and on, `{type: reset_all}` removes every
    /// toxic, `{remove: NAME}` removes one, anything else is added as a toxic
    /// (`{type: latency, attributes: {latency: 500}}`).
    static func proxyRequest(for toxic: JSONValue) -> (method: String, path: String, body: JSONValue?) {
        if case .object(let fields) = toxic {
            if case .string(let type)? = fields["type"] {
                switch type {
                case "down": return ("POST", "/proxy/down", nil)
                case "up": return ("POST", "/proxy/up", nil)
                case "reset_all", "none": return ("DELETE", "/toxics", nil)
                default: break
                }
            }
            if case .string(let name)? = fields["remove"] { return ("DELETE", "/toxics/\(name)", nil) }
        }
        return ("POST", "/toxics", toxic)
    }

    private func send(_ method: String, toEach service: String, path: String, body: JSONValue?) async throws {
        let urls = lab.serviceURLs(service)
        guard !urls.isEmpty else { throw ActionError(description: "no running service '\(service)'") }
        for url in urls { try await request(method, url + path, body: body) }
    }

    private func request(_ method: String, _ url: String, body: JSONValue?) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let token = lab.adminToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard (200..<300).contains(Int(response.status.code)) else {
            throw ActionError(description: "\(method) \(url): HTTP \(response.status.code) \(text)")
        }
    }
}
