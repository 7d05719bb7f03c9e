import Foundation
import LabKit

/// The lab a `labctl up` in another terminal runs, as a `LabTarget`: where things answer comes
/// from `.lab/endpoints.json`; kill, stop, cont and restart go through the `ControlChannel` to
/// the supervising labctl (only it can restart a service, being its parent).
public struct UpLabTarget: LabTarget {
    public let endpoints: LabEndpoints
    public let stateDirectory: URL

    /// The running lab, or an error saying none runs (or a different one does).
    public init(stateDirectory: URL, lab: LabManifest) throws {
        guard let state = LabState.read(from: stateDirectory), state.controllerIsAlive,
            let endpoints = LabEndpoints.read(from: stateDirectory)
        else {
            throw RuntimeError("no lab is running in \(stateDirectory.path) (start one with `labctl up \(lab.slug)`)")
        }
        guard endpoints.lab == lab.id else {
            throw RuntimeError("the running lab is \(endpoints.lab), not \(lab.id) (\(lab.slug))")
        }
        self.endpoints = endpoints
        self.stateDirectory = stateDirectory
    }

    public func serviceURLs(_ service: String) -> [String] {
        if let urls = endpoints.services[service] { return urls }
        return endpoints.instances[service].map { [$0] } ?? []
    }

    public func proxyAdminURL(_ name: String) -> String? { endpoints.infrastructure["\(name)-proxy"] }
    public var prometheusURL: String? { endpoints.prometheus }
    public func infrastructureURL(_ name: String) -> String? { endpoints.infrastructure[name] }

    public func kill(_ service: String) async throws { try await send(.kill, service) }
    public func stop(_ service: String) async throws { try await send(.stop, service) }
    public func cont(_ service: String) async throws { try await send(.cont, service) }
    public func restart(_ service: String) async throws { try await send(.restart, service) }

    public func command(_ infrastructure: String, _ name: String, _ arguments: JSONValue) async throws -> String {
        throw ActionExecutor.ActionError(description: "infra commands are not supported from `labctl chaos`")
    }

    private func send(_ verb: ControlChannel.Verb, _ service: String) async throws {
        _ = try await ControlChannel.send(verb, service: service, stateDirectory: stateDirectory)
    }
}
