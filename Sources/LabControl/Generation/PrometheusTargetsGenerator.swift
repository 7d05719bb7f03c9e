/// `prometheus/targets/<NN>-<slug>.yml`: the lab's scrape targets for the shared Prometheus of the
/// compose stack (file-based service discovery; prometheus/prometheus.yml reads targets/*.yml).
///
/// In compose every lab service listens on port 8080 and is reachable by its instance name
/// (`frontend`, `backend-1`). The native runtime does not read these files: its ports are free
/// ports chosen at start, and it writes the equivalent prometheus.yml under .lab/<lab>/prometheus/.
public struct PrometheusTargetsGenerator: Generator {
    public static let composePort = 8080
    public var name: String { "prometheus targets" }
    public var ownedDirectories: [String] { ["prometheus/targets"] }

    public init() {}

    public func files(for catalog: LabCatalog) throws -> [GeneratedFile] {
        catalog.labs.map { entry in
            GeneratedFile(path: "prometheus/targets/\(entry.directoryName).yml", contents: render(entry))
        }
    }

    func render(_ entry: LabCatalog.Entry) -> String {
        let lab = entry.manifest
        var lines = ["# " + Generation.header(from: entry)]
        for service in lab.services {
            let targets = (1...service.replicas).map {
                "\"\(ServiceInstance.name(role: service.role, replica: $0, replicas: service.replicas)):\(Self.composePort)\""
            }
            lines += [
                "- targets: [\(targets.joined(separator: ", "))]",
                "  labels:",
                "    job: \"\(service.role)\"",
                "    lab: \"\(lab.id)\"",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
