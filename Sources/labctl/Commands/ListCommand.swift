import ArgumentParser
import LabControl

/// `labctl list`: every lab with its infrastructure and whether it runs natively on this machine.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The lab catalog: id, title, infrastructure, status.")
    @OptionGroup var locations: LabLocations
    @Flag(help: "Print one line per lab for scripts: week, slug, id, directory (tab-separated).") var paths = false

    func run() async throws {
        let catalog = try locations.catalog()
        if catalog.labs.isEmpty && catalog.problems.isEmpty {
            print("no labs in \(catalog.root.path)")
            return
        }
        if paths {
            for entry in catalog.labs {
                print([String(entry.manifest.week), entry.manifest.slug, entry.manifest.id, entry.directory.path].joined(separator: "\t"))
            }
            return
        }
        let rows = catalog.labs.map { entry -> [String] in
            let lab = entry.manifest
            let infrastructure = lab.infrastructure.map(\.kind.description).joined(separator: ", ")
            return [String(lab.week), lab.slug, lab.title, infrastructure.isEmpty ? "-" : infrastructure, NativeSupport.check(lab).summary]
        }
        print(table(["WEEK", "SLUG", "TITLE", "INFRASTRUCTURE", "NATIVE"], rows))
        for problem in catalog.problems { note("invalid: \(problem)") }
        if !catalog.problems.isEmpty { throw ExitCode.failure }
    }
}
