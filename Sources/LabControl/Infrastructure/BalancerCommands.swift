import Foundation
import LabKit

/// The scenario's `infra` commands for a balancer. A server is named by its role (every replica)
/// or its instance name (`api-2`).
///
/// ```yaml
/// - {at: 5s, infra: {name: lb, command: set_weight, args: {v1: 95, v2: 5}}}
/// - {at: 5s, infra: {name: lb, command: drain, args: blue}}          # also ready, maint
/// - {at: 5s, infra: {name: lb, command: switch, args: {to: green}}}  # waits until green is up, then
///                                                                    # green takes the traffic, the rest drain
/// - {at: 5s, infra: {name: lb, command: wait_drained, args: {server: blue, timeout: 30s}}}
/// - {at: 5s, infra: {name: lb, command: wait_up, args: green}}      # passing its health checks (drained or not)
/// - {at: 5s, infra: {name: lb, command: reload, args: {weights: {blue: 0, green: 100}}}}  # graceful
/// ```
/// Every command but `reload` goes through HAProxy's Runtime API (no reload, nothing dropped);
/// `reload` rewrites haproxy.cfg and reloads it gracefully (also possible without changes).
struct BalancerCommands: Sendable {
    let runtimeAPI: HAProxyRuntimeAPI
    /// Role → its servers (instance names), in the order of `backends`.
    let serversByRole: [(role: String, servers: [String])]
    let settings: BalancerSettings
    /// Reloads with new per-server weights (nil: native only; the compose path cannot signal).
    let reload: (@Sendable (_ weights: [String: Int]) async throws -> Void)?

    static let names = ["set_weight", "drain", "ready", "maint", "switch", "wait_up", "wait_drained", "reload"]
    static let defaultWait: Duration = .seconds(30)
    var backend: String { HAProxyConfiguration.backendName }

    struct CommandError: Error, CustomStringConvertible {
        var description: String
    }

    func perform(_ command: String, _ arguments: JSONValue) async throws -> String {
        switch command {
        case "set_weight":
            guard case .object(let weights) = arguments, !weights.isEmpty else {
                throw CommandError(description: "set_weight takes {server: weight, …}, e.g. {v1: 95, v2: 5}; got \(arguments)")
            }
            var done: [String] = []
            for (name, value) in weights.sorted(by: { $0.key < $1.key }) {
                guard let weight = value.intValue, BalancerSettings.weightRange.contains(weight) else {
                    throw CommandError(description: "set_weight: \(name)'s weight must be 0...256, got \(value)")
                }
                for server in try servers(name) { try await runtimeAPI.setWeight(backend: backend, server: server, weight: weight) }
                done.append("\(name)=\(weight)")
            }
            return "weights " + done.joined(separator: ", ")
        case "drain", "ready", "maint":
            let state = HAProxyRuntimeAPI.ServerState(rawValue: command)!
            let names = try serverArgument(command, arguments)
            for server in names { try await runtimeAPI.setState(backend: backend, server: server, state) }
            return "\(command): \(names.joined(separator: ", "))"
        case "switch":
            return try await switchTraffic(arguments)
        case "wait_up":
            let names = try serverArgument(command, arguments)
            let waited = try await waitUntil(names, timeout: try timeout(arguments), what: "up") { $0.isHealthy }
            return "\(names.joined(separator: ", ")) up after \(waited)"
        case "wait_drained":
            let names = try serverArgument(command, arguments)
            let waited = try await waitUntil(names, timeout: try timeout(arguments), what: "drained") {
                $0.currentSessions == 0 && $0.queued == 0
            }
            return "\(names.joined(separator: ", ")) drained after \(waited)"
        case "reload":
            guard let reload else { throw CommandError(description: "reload needs the native runtime (it signals the haproxy master)") }
            var weights: [String: Int] = [:]
            if case .object(let fields) = arguments, case .object(let given)? = fields["weights"] {
                for (name, value) in given {
                    guard let weight = value.intValue, BalancerSettings.weightRange.contains(weight) else {
                        throw CommandError(description: "reload: \(name)'s weight must be 0...256, got \(value)")
                    }
                    for server in try servers(name) { weights[server] = weight }
                }
            } else if arguments != .null, arguments != .object([:]) {
                throw CommandError(description: "reload takes nothing or {weights: {server: weight, …}}; got \(arguments)")
            }
            try await reload(weights)
            return "reloaded"
                + (weights.isEmpty
                    ? "" : " with weights \(weights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
        default:
            throw CommandError(description: "a balancer understands \(Self.names.joined(separator: ", ")); not '\(command)'")
        }
    }

    /// Blue-green's switch: wait until every server of the target is up (health checks passed), give
    /// them their serving weight and the ready state, then drain every other server (no new
    /// requests; in-flight ones finish).
    private func switchTraffic(_ arguments: JSONValue) async throws -> String {
        var target: String?
        if case .string(let name) = arguments { target = name }
        if case .object(let fields) = arguments { target = fields["to"]?.stringValue }
        guard let target else {
            throw CommandError(description: "switch takes the role or server to send traffic to: {to: green}; got \(arguments)")
        }
        let chosen = try servers(target)
        let waited = try await waitUntil(chosen, timeout: try timeout(arguments), what: "up") { $0.isHealthy }
        for server in chosen {
            let role = serversByRole.first { $0.servers.contains(server) }?.role ?? server
            let configured = settings.weight(role: role, instance: server)
            try await runtimeAPI.setWeight(
                backend: backend, server: server, weight: configured > 0 ? configured : BalancerSettings.defaultWeight)
            try await runtimeAPI.setState(backend: backend, server: server, .ready)
        }
        let others = serversByRole.flatMap(\.servers).filter { !chosen.contains($0) }
        for server in others { try await runtimeAPI.setState(backend: backend, server: server, .drain) }
        return "switched to \(chosen.joined(separator: ", ")) (up after \(waited)); draining \(others.joined(separator: ", "))"
    }

    /// Polls `show stat` until `condition` holds for every server named; how long it took.
    private func waitUntil(
        _ names: [String], timeout: Duration, what: String, _ condition: (HAProxyServerStats) -> Bool
    ) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        var last: [HAProxyServerStats] = []
        while clock.now - start < timeout {
            last = try await runtimeAPI.serverStats().filter { $0.backend == backend && names.contains($0.server) }
            if last.count == names.count && last.allSatisfy(condition) { return clock.now - start }
            try await Task.sleep(for: .milliseconds(100))
        }
        let states = last.map { "\($0.server): \($0.status), \($0.currentSessions) in flight" }.joined(separator: "; ")
        throw CommandError(description: "\(names.joined(separator: ", ")) not \(what) within \(timeout) (\(states))")
    }

    /// The servers a name stands for: every replica of a role, or one instance.
    func servers(_ name: String) throws -> [String] {
        if let role = serversByRole.first(where: { $0.role == name }) { return role.servers }
        if serversByRole.contains(where: { $0.servers.contains(name) }) { return [name] }
        let known = serversByRole.map(\.role) + serversByRole.flatMap(\.servers)
        throw CommandError(description: "'\(name)' is not behind this balancer (\(Array(Set(known)).sorted().joined(separator: ", ")))")
    }

    /// `blue`, `[blue, green]` or `{server: blue}` (also with `timeout`).
    private func serverArgument(_ command: String, _ arguments: JSONValue) throws -> [String] {
        switch arguments {
        case .string(let name): return try servers(name)
        case .array(let names):
            return try names.flatMap { name -> [String] in
                guard let text = name.stringValue else { throw CommandError(description: "\(command): \(name) is not a server name") }
                return try servers(text)
            }
        case .object(let fields):
            guard let name = fields["server"]?.stringValue else { fallthrough }
            return try servers(name)
        default:
            throw CommandError(description: "\(command) takes a server or role: '\(command): blue' or {server: blue}; got \(arguments)")
        }
    }

    private func timeout(_ arguments: JSONValue) throws -> Duration {
        guard case .object(let fields) = arguments, let value = fields["timeout"] else { return Self.defaultWait }
        let seconds: Double? =
            switch value {
            case .string(let text): LabDuration.seconds(text)
            case .number(let number): number
            default: nil
            }
        guard let seconds, seconds > 0, seconds <= 600 else {
            throw CommandError(description: "timeout: a duration up to 10m, got \(value)")
        }
        return .milliseconds(Int(seconds * 1000))
    }
}
