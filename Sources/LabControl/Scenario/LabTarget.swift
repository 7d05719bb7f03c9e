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
    /// A command to a piece of infrastructure (a scenario's `infra` action); what it answered.
    func command(_ infrastructure: String, _ name: String, _ arguments: JSONValue) async throws -> String
    /// The service is about to end because the scenario asks it to (an `abort` fault), so a
    /// supervisor does not report its exit.
    func expectExit(of service: String)
}

extension LabTarget {
    public var adminToken: String? { nil }
    public func expectExit(of service: String) {}
}
