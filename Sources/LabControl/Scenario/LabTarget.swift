import LabKit

/// What the scenario runner needs from a running lab: where things are, and process control.
/// The native runtime (`RunningLab`) and a compose deployment (`ComposeTarget`) conform.
public protocol LabTarget: Sendable {
    /// Base URLs (`http://127.0.0.1:PORT`) of a service: every replica for a role (`backend`),
    /// or the one replica named (`backend-2`). Empty when unknown.
    func serviceURLs(_ service: String) -> [String]
    /// The admin API base URL of the fault proxy in front of the infrastructure `name`.
    func proxyAdminURL(_ name: String) -> String?
    /// The lab's Prometheus, if it runs one.
    var prometheusURL: String? { get }
    /// Sent as `Authorization: Bearer <token>` to the admin APIs (nil: none; the native lab's
    /// admin APIs answer loopback callers, a compose lab's answer the scenario container's token).
    var adminToken: String? { get }
    /// SIGKILL the service (every replica, or the one named).
    func kill(_ service: String) async throws
    /// SIGSTOP the service: it stays alive but answers nothing (a hang).
    func stop(_ service: String) async throws
    /// SIGCONT the service (after stop).
    func cont(_ service: String) async throws
    /// Start the service again (after kill or stop), waiting until it is ready.
    func restart(_ service: String) async throws
    /// Start instances that do not run (`autostart: false`, or after `terminate`), waiting until ready.
    func start(_ service: String) async throws
    /// SIGTERM the service and wait until it has shut down (gracefully: in-flight requests finish).
    func terminate(_ service: String) async throws
    /// The URL of a piece of infrastructure (a balancer's frontend), nil when unknown.
    func infrastructureURL(_ name: String) -> String?
    /// A command to a piece of infrastructure (a scenario's `infra` action); what it answered.
    func command(_ infrastructure: String, _ name: String, _ arguments: JSONValue) async throws -> String
    /// The service is about to end because the scenario asks it to (an `abort` fault), so a
    /// supervisor does not report its exit.
    func expectExit(of service: String)
}

extension LabTarget {
    public var adminToken: String? { nil }

    public func start(_ service: String) async throws {
        throw ActionExecutor.ActionError(description: "start \(service) is not supported on this target")
    }

    public func terminate(_ service: String) async throws {
        throw ActionExecutor.ActionError(description: "terminate \(service) is not supported on this target")
    }

    public func infrastructureURL(_ name: String) -> String? { nil }

    /// Where the scenario sends its load: the first replica of a role, or an infrastructure
    /// item's http URL (`scenario.target: lb`, a load balancer).
    public func loadTargetURL(_ name: String) -> String? {
        if let url = serviceURLs(name).first { return url }
        if let url = infrastructureURL(name), url.hasPrefix("http://") || url.hasPrefix("https://") { return url }
        return nil
    }

    public func expectExit(of service: String) {}
}
