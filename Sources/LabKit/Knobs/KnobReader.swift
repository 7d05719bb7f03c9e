import Foundation

/// Reads a service's knobs from its environment, strictly, and only the knobs it declared.
///
/// A service started by `labsvc` gets its role's declared knobs (`LabServiceRegistry.Role.knobs`):
/// every one of them that is set is checked when the service starts, and reading a knob that is not
/// among them is an error too, so `labsvc knobs` and the README tables list exactly what the code
/// reads. A service made by hand (a test) declares nothing and may read any knob.
public struct KnobReader: Sendable {
    public let environment: [String: String]
    /// By variable; nil: nothing declared, every knob may be read.
    private let declared: [String: any LabKnob]?

    public init(environment: [String: String], declared: [any LabKnob]? = nil) {
        self.environment = environment
        self.declared = declared.map { knobs in
            Dictionary(knobs.map { ($0.spec.name, $0) }) { first, second in
                precondition(
                    first.spec == second.spec, "\(first.spec.name) is declared twice, differently: \(first.spec) and \(second.spec)")
                return first
            }
        }
    }

    /// The knob's value: its default when unset, the parsed value when allowed; else a `KnobError`
    /// naming the variable, the value and what is allowed.
    public func read<Value>(_ knob: Knob<Value>) throws(KnobError) -> Value {
        if let declared, declared[knob.spec.name]?.spec != knob.spec {
            let declaration = declared[knob.spec.name].map { "it is declared as \($0.spec)" } ?? "add it to the lab's knob list"
            throw KnobError(variable: knob.spec.name, problem: .undeclared, expected: declaration)
        }
        return try knob.value(in: environment)
    }

    /// Checks every declared knob that is set, also those this run of the service will not read (a
    /// knob of the other strategy): a typo in any of them stops the service at start. The first
    /// problem in name order is thrown.
    public func checkDeclared() throws(KnobError) {
        guard let declared else { return }
        for name in declared.keys.sorted() where !(environment[name] ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            try declared[name]!.check(environment)
        }
    }
}
