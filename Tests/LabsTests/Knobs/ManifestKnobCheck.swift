import LabControl
import LabKit

/// What a lab.yaml sets in the environment, held against the knobs its services declare: every variable
/// it sets must be a knob of a service it reaches (a typo is otherwise a silent default), and every value
/// must be one that knob allows (otherwise the service refuses to start).
enum ManifestKnobCheck {
    /// One problem per line, naming the file, the field and the variable; empty when all is well.
    static func problems(_ manifest: LabManifest, lab: LabServiceRegistry.Lab, file: String) -> [String] {
        var problems: [String] = []
        let common = Set(LabService.commonKnobs.map(\.spec.name))
        func declared(by role: String) -> [any LabKnob] { lab.role(role)?.knobs ?? [] }
        let everyRole = manifest.services.map(\.role)

        // Where the manifest sets variables, and which roles each setting reaches.
        var settings: [(field: String, roles: [String], env: [String: String])] = []
        for (index, service) in manifest.services.enumerated() {
            settings.append(("services[\(index)].env", [service.role], service.env))
        }
        for name in manifest.variantNames {
            let variant = manifest.variants[name]!
            settings.append(("variants.\(name).env", everyRole, variant.env))
            for (role, override) in variant.services.sorted(by: { $0.key < $1.key }) {
                settings.append(("variants.\(name).services.\(role).env", [role], override.env))
            }
        }
        for (field, roles, env) in settings {
            for variable in env.keys.sorted() where !common.contains(variable) {
                let readers = roles.filter { role in declared(by: role).contains { $0.spec.name == variable } }
                guard readers.isEmpty else { continue }
                let known = Set(roles.flatMap { declared(by: $0).map(\.spec.name) })
                let hint = closest(variable, among: known).map { "; did you mean \($0)?" } ?? ""
                let whose = roles.count == 1 ? "\(manifest.id) \(roles[0])" : "any service of \(manifest.id)"
                problems.append("\(file): field '\(field).\(variable)': \(whose) declares no knob \(variable)\(hint)")
            }
        }

        // Each service as it starts in each variant: every declared knob it is given must be allowed.
        for name in manifest.variantNames {
            for service in manifest.services {
                let env = service.env.merging(manifest.variants[name]!.env(for: service.role)) { _, variant in variant }
                do {
                    try KnobReader(environment: env, declared: LabService.commonKnobs + declared(by: service.role)).checkDeclared()
                } catch {
                    problems.append("\(file): variant '\(name)', service '\(service.role)' would not start: \(error)")
                }
            }
        }
        return problems
    }

    /// The declared name nearest to a misspelt one (at most two edits away).
    static func closest(_ name: String, among names: Set<String>) -> String? {
        names.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }.min { ($0.1, $0.0) < ($1.1, $1.0) }?.0
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in a.indices {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for j in b.indices {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a[i] == b[j] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
