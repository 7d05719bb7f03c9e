import Foundation

/// One process of a lab service: a role's replica, on its own port.
public struct ServiceInstance: Sendable, Equatable {
    public let role: String
    /// `frontend` for a single replica, `backend-1`, `backend-2`, … otherwise.
    public let name: String
    /// 1-based.
    public let replica: Int
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    public let arguments: [String]
    public let environment: [String: String]
    public let logFile: URL

    public static func name(role: String, replica: Int, replicas: Int) -> String {
        replicas == 1 ? role : "\(role)-\(replica)"
    }
}
