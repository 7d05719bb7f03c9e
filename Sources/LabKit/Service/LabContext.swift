import Foundation
import Logging

/// Everything a lab service's code may need besides the request: its name, environment, knobs, run-time
/// config, fault state, readiness checks and peers. One per running service; safe to capture in handlers.
public final class LabContext: Sendable {
    /// `OTEL_SERVICE_NAME`, else `<lab>-<role>`.
    public let serviceName: String
    public let environment: [String: String]
    /// The service's knobs, read strictly from `environment` (`try context.knobs.read(SomeSettings.knob)`).
    public let knobs: KnobReader
    public let config: LabConfig
    public let faults: FaultState
    public let readiness: ReadinessChecks
    public let logger: Logger

    /// `knobs`: the knobs the service declared (nil: none declared, any may be read); LabKit's own
    /// (`LabService.commonKnobs`) are always allowed.
    public init(
        serviceName: String, environment: [String: String], knobs: [any LabKnob]? = nil, config: LabConfig? = nil, logger: Logger? = nil
    ) throws {
        let logger = logger ?? Logger(label: serviceName)
        self.serviceName = serviceName
        self.environment = environment
        self.knobs = KnobReader(environment: environment, declared: knobs.map { LabService.commonKnobs + $0 })
        self.logger = logger
        self.config = try config ?? LabConfig.fromEnvironment(environment, logger: logger)
        self.faults = FaultState(logger: logger)
        self.readiness = ReadinessChecks()
    }

    /// The peer named `name`, from `<NAME>_URL` (e.g. `peer("backend")` reads `BACKEND_URL`), which must
    /// be one http(s) URL.
    public func peer(_ name: String, timeout: Duration = .seconds(10)) throws -> PeerClient {
        let urls = try peerURLs(name)
        guard urls.count == 1 else {
            let variable = Self.peerVariable(name)
            throw KnobError(variable: variable, problem: .notAllowed(environment[variable] ?? ""), expected: "one http:// or https:// URL")
        }
        return PeerClient(name: name, baseURL: urls[0], defaultTimeout: timeout)
    }

    /// Every replica of the peer named `name`: `<NAME>_URL` holds their URLs, comma-separated.
    public func peers(_ name: String, timeout: Duration = .seconds(10)) throws -> [PeerClient] {
        try peerURLs(name).map { PeerClient(name: name, baseURL: $0, defaultTimeout: timeout) }
    }

    /// `<NAME>_URL` is wiring that labctl sets from `depends_on`, not a knob a lab declares, but it is
    /// read as strictly as one.
    private func peerURLs(_ name: String) throws -> [String] {
        let variable = Self.peerVariable(name)
        guard let raw = environment[variable], !raw.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw PeerError.notConfigured(peer: name, variable: variable)
        }
        return try Knob.urls(variable, "the \(name) service's replicas").value(in: environment)
    }

    /// `backend` → `BACKEND_URL`, `order-service` → `ORDER_SERVICE_URL`.
    public static func peerVariable(_ name: String) -> String {
        name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() + "_URL"
    }
}
