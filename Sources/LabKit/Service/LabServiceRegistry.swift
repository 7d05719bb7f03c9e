/// Every lab's services, by lab and role, so one binary (`labsvc <lab> <role>`) can run any of them.
///
/// A lab is found by its id, its week (`7`, `07`, `week07`, `week7`) or its slug (`circuit-breakers`).
public struct LabServiceRegistry: Sendable {
    /// One lab: its names and the services (roles) it is made of.
    public struct Lab: Sendable {
        public let id: String
        public let title: String
        public let week: Int?
        public let aliases: [String]
        public private(set) var roles: [Role]

        /// A curriculum lab: id `week07`, aliases `7`, `07`, `week7` and the slug.
        public init(week: Int, slug: String, title: String, roles: [Role]) {
            let padded = week < 10 ? "0\(week)" : "\(week)"
            self.id = "week\(padded)"
            self.title = title
            self.week = week
            // From week 10 on, "week\(week)" is the id itself: an alias must not repeat it.
            self.aliases = Array(Set(["\(week)", padded, "week\(week)", slug]).subtracting([id])).sorted()
            self.roles = roles
        }

        /// Any other lab (course projects, the self-test lab).
        public init(id: String, title: String, aliases: [String] = [], roles: [Role]) {
            self.id = id
            self.title = title
            self.week = nil
            self.aliases = aliases
            self.roles = roles
        }

        public var names: [String] { [id] + aliases }

        public func role(_ name: String) -> Role? { roles.first { $0.name == name.lowercased() } }

        /// This lab with each role's knobs declared (`knobs[role]`). A role missing there stays
        /// undeclared (nothing is checked); LabsTests requires every role of every lab to have a list.
        public func declaringKnobs(_ knobs: [String: [any LabKnob]]) -> Lab {
            let unknown = Set(knobs.keys).subtracting(roles.map(\.name))
            precondition(unknown.isEmpty, "\(id): knobs declared for roles it does not have: \(unknown.sorted())")
            var lab = self
            lab.roles = roles.map { role in
                var role = role
                role.knobs = knobs[role.name]
                return role
            }
            return lab
        }
    }

    /// One service of a lab: `build` adds the role's routes, peers and dependencies to a `LabService`.
    public struct Role: Sendable {
        public let name: String
        public let summary: String
        public let build: @Sendable (LabService) async throws -> Void
        /// The knobs the role reads (`Lab.declaringKnobs`); nil: not declared, nothing is checked.
        public internal(set) var knobs: [any LabKnob]?

        public init(_ name: String, _ summary: String, build: @escaping @Sendable (LabService) async throws -> Void) {
            self.name = name
            self.summary = summary
            self.build = build
        }
    }

    public enum LookupError: Error, CustomStringConvertible, Equatable {
        case unknownLab(String, valid: [String])
        case unknownRole(String, lab: String, valid: [String])

        public var description: String {
            switch self {
            case .unknownLab(let name, let valid): "unknown lab '\(name)'; valid labs: \(valid.joined(separator: ", "))"
            case .unknownRole(let name, let lab, let valid):
                "lab \(lab) has no role '\(name)'; valid roles: \(valid.joined(separator: ", "))"
            }
        }
    }

    public let labs: [Lab]

    public init(_ labs: [Lab]) {
        self.labs = labs.sorted { ($0.week ?? Int.max, $0.id) < ($1.week ?? Int.max, $1.id) }
        var seen: [String: String] = [:]
        for lab in labs {
            for name in lab.names {
                precondition(seen[name] == nil, "lab name '\(name)' is used by both \(seen[name]!) and \(lab.id)")
                seen[name] = lab.id
            }
        }
    }

    public func lab(named name: String) -> Lab? {
        let key = name.lowercased()
        return labs.first { $0.names.contains(key) }
    }

    public func resolve(lab name: String, role: String) throws(LookupError) -> (lab: Lab, role: Role) {
        guard let lab = lab(named: name) else { throw .unknownLab(name, valid: labs.map(\.id)) }
        guard let found = lab.role(role) else { throw .unknownRole(role, lab: lab.id, valid: lab.roles.map(\.name)) }
        return (lab, found)
    }

    /// `labsvc --list`: one line per lab, its names and roles.
    public var listing: String {
        labs.map { lab in
            let aliases = lab.aliases.isEmpty ? "" : " (\(lab.aliases.joined(separator: ", ")))"
            return "\(lab.id)\(aliases) — \(lab.title)\n" + lab.roles.map { "    \($0.name): \($0.summary)" }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Builds the service for a lab's role; its name is `OTEL_SERVICE_NAME`, else `<lab>-<role>`.
    public func makeService(lab: String, role: String, environment: [String: String]) async throws -> LabService {
        let (lab, role) = try resolve(lab: lab, role: role)
        let name = environment["OTEL_SERVICE_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(lab.id)-\(role.name)"
        let service = try LabService(name: name, environment: environment, knobs: role.knobs)
        try await role.build(service)
        return service
    }
}
