import Logging

/// Everything a lab service's code may need besides the request: its name, environment, run-time
/// config, fault state, readiness checks and peers. One per running service; safe to capture in handlers.
public final class LabContext: Sendable {
    /// `OTEL_SERVICE_NAME`, else `<lab>-<role>`.
    public let serviceName: String
    public let environment: [String: String]
    public let config: LabConfig
    public let faults: FaultState
    public let readiness: ReadinessChecks
    public let logger: Logger

    public init(serviceName: String, environment: [String: String], config: LabConfig? = nil, logger: Logger? = nil) throws {
        let logger = logger ?? Logger(label: serviceName)
        self.serviceName = serviceName
        self.environment = environment
        self.logger = logger
        self.config = try config ?? LabConfig.fromEnvironment(environment, logger: logger)
        self.faults = FaultState(logger: logger)
        self.readiness = ReadinessChecks()
    }

    /// The peer named `name`, from `<NAME>_URL` (e.g. `peer("backend")` reads `BACKEND_URL`).
    public func peer(_ name: String, timeout: Duration = .seconds(10)) throws -> PeerClient {
        let variable = Self.peerVariable(name)
        guard let url = environment[variable], !url.isEmpty else { throw PeerError.notConfigured(peer: name, variable: variable) }
        return PeerClient(name: name, baseURL: url, defaultTimeout: timeout)
    }

    /// `backend` → `BACKEND_URL`, `order-service` → `ORDER_SERVICE_URL`.
    public static func peerVariable(_ name: String) -> String {
        name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() + "_URL"
    }

    /// An integer setting from the environment, with a clear startup error when it is not a number.
    public func integer(_ variable: String, default fallback: Int) throws -> Int {
        guard let raw = environment[variable], !raw.isEmpty else { return fallback }
        guard let value = Int(raw), value >= 0 else { throw LabStartupError("\(variable)=\(raw): expected a non-negative whole number") }
        return value
    }
}
