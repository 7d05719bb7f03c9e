import Foundation

/// The fuzz build's list of kinds (Fuzz/ compiles the manifest and trace code of LabControl, not its
/// runtime): the kinds whose files compile without the runtime. A kind not listed still parses, as
/// in `labctl list`; only its settings go unchecked here. The platform's list is
/// Sources/LabControl/Infrastructure/Kinds/InfrastructureKinds.swift.
public enum InfrastructureKinds {
    public static let all: [any InfrastructureKind] = [RedisKind(), PrometheusKind()]

    public static func named(_ name: String) -> (any InfrastructureKind)? {
        all.first { $0.name == name || $0.aliases.contains(name) }
    }
}
