/// The order services start in: every service after the services it depends on.
public enum ServiceOrder {
    /// Services in dependency order (declaration order among independent ones). Assumes no cycle
    /// (the parser rejects cycles).
    public static func startOrder(_ services: [ServiceSpec]) -> [ServiceSpec] {
        var ordered: [ServiceSpec] = []
        var placed = Set<String>()
        while ordered.count < services.count {
            let ready = services.filter { !placed.contains($0.role) && $0.dependsOn.allSatisfy(placed.contains) }
            guard !ready.isEmpty else { return ordered + services.filter { !placed.contains($0.role) } }
            for service in ready {
                ordered.append(service)
                placed.insert(service.role)
            }
        }
        return ordered
    }

    /// A dependency cycle as a path that returns to its start (`a → b → a`), if there is one.
    public static func cycle(in services: [ServiceSpec]) -> [String]? {
        let byRole = Dictionary(services.map { ($0.role, $0) }, uniquingKeysWith: { first, _ in first })
        var finished = Set<String>()
        func visit(_ role: String, _ path: [String]) -> [String]? {
            if let start = path.firstIndex(of: role) { return Array(path[start...]) + [role] }
            if finished.contains(role) { return nil }
            for dependency in byRole[role]?.dependsOn ?? [] {
                if let cycle = visit(dependency, path + [role]) { return cycle }
            }
            finished.insert(role)
            return nil
        }
        for service in services {
            if let cycle = visit(service.role, []) { return cycle }
        }
        return nil
    }
}
