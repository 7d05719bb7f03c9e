import Foundation
import LabKit
import Yams

/// Reads lab.yaml into a `LabManifest`, checking every field: unknown keys (with a did-you-mean),
/// wrong types, missing required fields and references that point nowhere are `ManifestError`s
/// naming the line and the field.
public enum ManifestParser {
    /// Parses a manifest. `file` is the name used in error messages; `labDirectory`, when given,
    /// is where referenced files (init SQL, rules) must exist.
    public static func parse(yaml: String, file: String = "lab.yaml", labDirectory: URL? = nil) throws -> LabManifest {
        let root = try rootNode(yaml: yaml, file: file)
        var context = Context(file: file, labDirectory: labDirectory)
        return try context.manifest(NodeReader(node: root, path: "", file: file))
    }

    /// The YAML document's root node; an empty file or a syntax error is a `ManifestError` naming `file`.
    static func rootNode(yaml: String, file: String) throws -> Node {
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ManifestError(file: file, line: 1, field: "", message: "the file is empty")
            }
            return node
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        }
    }

    public static func load(_ url: URL, displayName: String? = nil) throws -> LabManifest {
        let file = displayName ?? url.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw ManifestError(file: file, line: 1, field: "", message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(yaml: try text(bytes, file: file), file: file, labDirectory: url.deletingLastPathComponent())
    }

    /// The file as UTF-8 text, or an error naming the first byte that is not UTF-8: its offset, line and column.
    static func text(_ bytes: Data, file: String) throws -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while case .valid(let scalar) = parser.parseScalar(from: &iterator) { offset += scalar.count }
        let before = bytes.prefix(offset)
        let line = before.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let column = offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        let byte = String(bytes[bytes.startIndex + offset], radix: 16, uppercase: true)
        throw ManifestError(
            file: file, line: line, field: "",
            message: "not valid UTF-8: byte 0x\(byte) at offset \(offset) (column \(column)); save the file as UTF-8")
    }

    static func syntaxError(_ error: YamlError, file: String) -> ManifestError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ManifestError(file: file, line: mark.line, field: "", message: "YAML syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ManifestError(
                file: file, line: context.mark.line, field: "", message: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return ManifestError(file: file, line: 1, field: "", message: "YAML error: \(error)")
        }
    }

    static let topLevelKeys = [
        "week", "slug", "id", "title", "summary", "services", "infrastructure", "variants", "scenario",
        "dashboard", "measurements", "expectations", "test",
    ]

    /// Parsing state: the file and what earlier sections declared, for cross-references.
    struct Context {
        let file: String
        let labDirectory: URL?
        var roles: [String: ServiceSpec] = [:]
        var infrastructureNames: [String: InfrastructureSpec] = [:]
        var phaseNames: Set<String> = []
        var requestNames: Set<String> = []
        var variantNames: Set<String> = []
        var measurementNames: Set<String> = []
        /// `variants.<v>.actions`, read once the scenario's phases are known.
        var variantActionReaders: [String: NodeReader] = [:]
        var promqlExpressions: [PromQLExpression] = []
        /// The chaos experiments the scenario's and variants' actions run, in order.
        var chaosExperimentNames: [String] = []

        mutating func manifest(_ root: NodeReader) throws -> LabManifest {
            let top = try root.mapping(allowed: ManifestParser.topLevelKeys)
            let weekReader = try top.required("week")
            let week = try weekReader.int()
            guard (0...99).contains(week) else { throw weekReader.error("must be between 0 and 99, found \(week)") }
            let slugReader = try top.required("slug")
            let slug = try slugReader.identifier()
            let id = try top.optional("id")?.identifier() ?? String(format: "week%02d", week)
            let title = try top.required("title").nonEmptyString()
            let summary = try top.optional("summary")?.string() ?? ""

            let services = try self.services(try top.required("services"))
            var infrastructure: [InfrastructureSpec] = []
            if let reader = top.optional("infrastructure") { infrastructure = try self.infrastructure(reader) }
            try checkDependencies(services, top.required("services"))
            var variants = try self.variants(try top.required("variants"))
            var scenario: ScenarioSpec?
            if let reader = top.optional("scenario") { scenario = try self.scenario(reader) }
            for (name, reader) in variantActionReaders.sorted(by: { $0.key < $1.key }) {
                guard let scenario else { throw reader.error("variant actions need a scenario") }
                variants[name]?.actions = try reader.sequence().map { try action($0, scenario) }
            }
            var dashboard: [DashboardPanel] = []
            if let reader = top.optional("dashboard") { dashboard = try self.dashboard(reader) }
            var measurements: [MeasurementSpec] = []
            if let reader = top.optional("measurements") { measurements = try self.measurements(reader) }
            let expectations = try top.optional("expectations").map(self.expectations) ?? []
            let test = try top.optional("test").map { try self.test($0, variants: variants) } ?? .default

            return LabManifest(
                week: week, slug: slug, id: id, title: title, summary: summary, services: services,
                infrastructure: infrastructure, variants: variants, scenario: scenario, dashboard: dashboard,
                measurements: measurements, expectations: expectations, test: test, promqlExpressions: promqlExpressions)
        }

        // MARK: services

        mutating func services(_ reader: NodeReader) throws -> [ServiceSpec] {
            let items = try reader.sequence()
            guard !items.isEmpty else { throw reader.error("a lab needs at least one service") }
            var services: [ServiceSpec] = []
            var entryCount = 0
            for item in items {
                let fields = try item.mapping(allowed: [
                    "role", "replicas", "env", "depends_on", "entry", "port_name", "args", "autostart", "memory_limit",
                ])
                let roleReader = try fields.required("role")
                let role = try roleReader.identifier()
                guard roles[role] == nil else { throw roleReader.error("role '\(role)' is declared twice") }
                var replicas = 1
                if let replicasReader = fields.optional("replicas") {
                    replicas = try replicasReader.int()
                    guard (1...32).contains(replicas) else { throw replicasReader.error("must be between 1 and 32, found \(replicas)") }
                }
                let entry = try fields.optional("entry")?.bool() ?? false
                if entry { entryCount += 1 }
                if entry && entryCount > 1 { throw try fields.required("entry").error("only one service can be the entry point") }
                let autostart = try fields.optional("autostart")?.bool() ?? true
                if !autostart && entry { throw try fields.required("autostart").error("the entry service starts with the lab") }
                let service = ServiceSpec(
                    role: role, replicas: replicas,
                    env: try fields.optional("env")?.stringMap() ?? [:],
                    dependsOn: try fields.optional("depends_on")?.stringList() ?? [],
                    entry: entry,
                    portName: try fields.optional("port_name")?.identifier() ?? "http",
                    arguments: try fields.optional("args")?.stringList() ?? [],
                    autostart: autostart,
                    memoryLimitBytes: try fields.optional("memory_limit").map { try MemorySize.bytes($0) })
                roles[role] = service
                services.append(service)
            }
            return services
        }

        /// Dependencies name declared roles and form no cycle.
        func checkDependencies(_ services: [ServiceSpec], _ reader: NodeReader) throws {
            let items = try reader.sequence()
            for (service, item) in zip(services, items) {
                let fields = try item.anyMapping()
                guard let dependsReader = fields.optional("depends_on") else { continue }
                let elements = (try? dependsReader.sequence()) ?? [dependsReader]
                for (dependency, element) in zip(service.dependsOn, elements) {
                    if dependency == service.role { throw element.error("'\(service.role)' cannot depend on itself") }
                    guard roles[dependency] != nil else {
                        throw element.error("unknown service '\(dependency)'\(hint(dependency, Array(roles.keys)))")
                    }
                }
            }
            if let cycle = ServiceOrder.cycle(in: services) {
                let index = services.firstIndex { $0.role == cycle[0] } ?? 0
                let item = items[index]
                let line = (try? item.anyMapping())?.optional("depends_on")?.line ?? item.line
                throw ManifestError(
                    file: file, line: line, field: "services[\(index)].depends_on",
                    message: "dependency cycle: \(cycle.joined(separator: " → "))")
            }
        }

        // MARK: infrastructure

        mutating func infrastructure(_ reader: NodeReader) throws -> [InfrastructureSpec] {
            var specs: [InfrastructureSpec] = []
            for item in try reader.sequence() {
                let kindReader = try item.anyMapping().required("kind")
                let kind = InfrastructureSpec.Kind(try kindReader.identifier())
                let settingKeys = kind.definition?.settingKeys ?? []
                let fields = try item.mapping(allowed: ["kind", "name", "proxied"] + settingKeys)
                let nameReader = fields.optional("name")
                let name = try nameReader?.identifier() ?? kind.description
                guard infrastructureNames[name] == nil else {
                    throw (nameReader ?? kindReader).error("infrastructure '\(name)' is declared twice (give one a 'name')")
                }
                // The kind checks its own keys (types, ranges, files), naming the field.
                let settingFields = MappingReader(owner: fields.owner, entries: fields.entries.filter { settingKeys.contains($0.key) })
                try kind.definition?.validate(
                    InfrastructureSettingsReader(
                        fields: settingFields, labDirectory: labDirectory, roles: roles.mapValues(\.replicas)))
                var settings: [String: JSONValue] = [:]
                for entry in settingFields.entries where !entry.value.isNull { settings[entry.key] = try entry.value.json() }
                let spec = InfrastructureSpec(
                    kind: kind, name: name, proxied: try fields.optional("proxied")?.bool() ?? false, settings: settings)
                infrastructureNames[name] = spec
                specs.append(spec)
            }
            return specs
        }

        // MARK: variants

        mutating func variants(_ reader: NodeReader) throws -> [String: VariantSpec] {
            let byName = try reader.anyMapping()
            var variants: [String: VariantSpec] = [:]
            for entry in byName.entries {
                let name = try entry.keyReader.identifier()
                let fields: MappingReader
                if entry.value.isNull {
                    fields = MappingReader(owner: entry.value, entries: [])
                } else {
                    fields = try entry.value.mapping(allowed: ["description", "env", "services", "infrastructure", "actions"])
                }
                if let actions = fields.optional("actions") { variantActionReaders[name] = actions }
                var overrides: [String: VariantSpec.ServiceOverride] = [:]
                if let servicesReader = fields.optional("services") {
                    for service in try servicesReader.anyMapping().entries {
                        guard roles[service.key] != nil else {
                            throw service.keyReader.error("unknown service '\(service.key)'\(hint(service.key, Array(roles.keys)))")
                        }
                        let override = try service.value.mapping(allowed: ["env", "config"])
                        overrides[service.key] = VariantSpec.ServiceOverride(
                            env: try override.optional("env")?.stringMap() ?? [:],
                            config: try override.optional("config")?.jsonObject() ?? [:])
                    }
                }
                variants[name] = VariantSpec(
                    name: name, description: try fields.optional("description")?.string() ?? "",
                    env: try fields.optional("env")?.stringMap() ?? [:], services: overrides,
                    infrastructure: try fields.optional("infrastructure").map(infrastructureOverrides) ?? [:])
            }
            for required in ["before", "after"] where variants[required] == nil {
                throw reader.error("variant '\(required)' is required (every lab has 'before' and 'after')")
            }
            variantNames = Set(variants.keys)
            return variants
        }

        /// `variants.<v>.infrastructure`: per infrastructure name, settings its kind allows.
        func infrastructureOverrides(_ reader: NodeReader) throws -> [String: [String: JSONValue]] {
            var overrides: [String: [String: JSONValue]] = [:]
            for entry in try reader.anyMapping().entries {
                guard let item = infrastructureNames[entry.key] else {
                    throw entry.keyReader.error("unknown infrastructure '\(entry.key)'\(hint(entry.key, Array(infrastructureNames.keys)))")
                }
                let keys = item.kind.definition?.settingKeys ?? []
                let fields = try entry.value.mapping(allowed: keys)
                try item.kind.definition?.validateOverride(
                    InfrastructureSettingsReader(
                        fields: fields, labDirectory: labDirectory, roles: roles.mapValues(\.replicas)))
                var settings: [String: JSONValue] = [:]
                for field in fields.entries where !field.value.isNull { settings[field.key] = try field.value.json() }
                overrides[entry.key] = settings
            }
            return overrides
        }

        /// "; did you mean 'x'?" or "" when nothing is close.
        func hint(_ word: String, _ candidates: [String]) -> String {
            DidYouMean.suggestion(for: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
        }
    }
}
