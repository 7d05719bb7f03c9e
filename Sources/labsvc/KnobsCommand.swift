import ArgumentParser
import Foundation
import LabKit
import Labs

/// `labsvc knobs`: the knobs of a lab's services, from their declarations — without starting anything.
///
///     labsvc knobs week07 client          # one service, in columns
///     labsvc knobs week07 --markdown      # the lab's README table
///     labsvc knobs week07 --readme labs/07-circuit-breakers/README.md   # rewrite that table in place
///     labsvc knobs                        # what every service reads (PORT, HOST, LOG_LEVEL)
struct KnobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knobs",
        abstract: "List the knobs (environment variables) of a lab's services: kind, default, allowed values, meaning.",
        discussion: """
            Without a lab: the knobs every service reads. A service checks its knobs when it starts: a value \
            that is not allowed stops it with one line naming the variable, the value and what is allowed.
            """
    )

    @Argument(help: "The lab (week number, weekNN or slug).") var lab: String?
    @Argument(help: "One service role of the lab (default: every role).") var role: String?
    @Flag(help: "Print a markdown table (a lab's: the one its README carries).") var markdown = false
    @Option(help: "Rewrite the generated knob table in this README (between its marker lines).") var readme: String?

    func run() throws {
        let registry = Labs.registry
        guard let lab else {
            print(markdown ? KnobTable.markdown(LabService.commonKnobs.map(\.spec)) : KnobTable.text(LabService.commonKnobs.map(\.spec)))
            return
        }
        guard let found = registry.lab(named: lab) else {
            throw ValidationError("\(LabServiceRegistry.LookupError.unknownLab(lab, valid: registry.labs.map(\.id)))")
        }
        if let readme {
            guard role == nil else { throw ValidationError("--readme takes the whole lab's table: leave out the role") }
            let text = try String(contentsOfFile: readme, encoding: .utf8)
            try KnobTable.updatingReadme(text, for: found).write(toFile: readme, atomically: true, encoding: .utf8)
            return
        }
        if let role {
            guard let service = found.role(role) else {
                throw ValidationError("\(LabServiceRegistry.LookupError.unknownRole(role, lab: found.id, valid: found.roles.map(\.name)))")
            }
            let specs = (service.knobs ?? []).map(\.spec)
            print(markdown ? KnobTable.markdown(specs) : KnobTable.text(specs))
        } else if markdown {
            print(KnobTable.markdown(found))
        } else {
            print(found.roles.map { "\($0.name):\n" + KnobTable.text(($0.knobs ?? []).map(\.spec)).indented() }.joined(separator: "\n\n"))
        }
    }
}

extension String {
    fileprivate func indented() -> String {
        split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }
}
