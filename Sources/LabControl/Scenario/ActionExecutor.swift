import AsyncHTTPClient
import Foundation
import LabKit
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
        case .cont(let service): "continue (SIGCONT) \(service)"
        case .restart(let service): "restart \(service)"
        case .start(let service): "start \(service)"
        case .terminate(let service): "terminate (SIGTERM) \(service)"
        case .setConfig(let service, let knobs): "config of \(service): \(JSONValue.object(knobs))"
        case .call(let service, let method, let path, let body): "\(method) \(service)\(path)" + (body.map { " \($0)" } ?? "")
        case .infra(let name, let command, let arguments): "\(name): \(command)" + (arguments == .null ? "" : " \(arguments)")
        case .chaos(let experiment):
            "chaos experiment \(experiment.name): \(describe(experiment.fault.inject)) for \(LabDurationFormat.text(experiment.durationSeconds))"
        }
    }

    public func perform(_ kind: ActionSpec.Kind) async throws {
        _ = try await performReporting(kind, log: nil)
    }

    /// As `perform`; a chaos experiment is run to its end (against the lab's Prometheus) and its
    /// report returned.
    public func performReporting(_ kind: ActionSpec.Kind, log: (@Sendable (String) -> Void)?) async throws -> ChaosReport? {
        if case .chaos(let experiment) = kind {
            guard let url = lab.prometheusURL else { throw ActionError(description: "chaos needs the lab's Prometheus; none runs") }
            return try await ChaosRunner(lab: lab, prometheus: PrometheusClient(baseURL: url), log: log).run(experiment)
        }
        switch kind {
        case .setFault(let service, let fault):
            if case .object(let kinds) = fault, let abort = kinds["abort"], abort != .null { lab.expectExit(of: service) }
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
        case .cont(let service): try await lab.cont(service)
        case .restart(let service): try await lab.restart(service)
        case .start(let service): try await lab.start(service)
        case .terminate(let service): try await lab.terminate(service)
        case .call(let service, let method, let path, let body):
            try await send(method, toEach: service, path: path, body: body)
        case .infra(let name, let command, let arguments):
            _ = try await lab.command(name, command, arguments)
        case .chaos: break
        }
        return nil
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
        do {
            try await AdminRequest.send(method, url, body: body, token: lab.adminToken, http: http)
        } catch let failure as AdminRequest.Failure {
            throw ActionError(description: failure.description)
        }
    }
}
