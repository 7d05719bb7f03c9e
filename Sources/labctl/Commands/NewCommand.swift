import ArgumentParser
import Foundation
import LabControl

/// `labctl new <week> <slug>`: scaffolds a lab that compiles and verifies, then regenerates the
/// files derived from the catalog (the service registry, the README's lab table, compose files).
struct NewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Scaffold a new lab: labs/<NN>-<slug>/ and Sources/Labs/<Name>/, ready to build and verify.",
        discussion: "Then: swift build && .build/debug/labctl verify <slug>. See labs/README.md, \"Adding a lab\".")

    @Argument(help: "The curriculum week (1-99).") var week: Int
    @Argument(help: "The lab's slug: lower-case words joined by '-' (e.g. rate-limiting).") var slug: String
    @OptionGroup var locations: LabLocations

    func run() async throws {
        let scaffold: LabScaffold
        do { scaffold = try LabScaffold(week: week, slug: slug) } catch { throw ValidationError("\(error)") }
        let catalog = try locations.catalog()
        let root = catalog.root.deletingLastPathComponent()
        let written: [String]
        do { written = try scaffold.write(repositoryRoot: root, catalog: catalog) } catch { throw Failure("\(error)") }
        for path in written { print("created \(path)") }
        let outcome = try Generation.standard.run(catalog: try LabCatalog.load(root: catalog.root), repositoryRoot: root, check: false)
        for path in outcome.changed { print("wrote \(path)") }
        print(
            """

            Next:
              swift build                                   # compiles the new services
              .build/debug/labctl verify \(slug)             # its before/after holds as scaffolded
            Then make it yours: labs/\(scaffold.directoryName)/lab.yaml, README.md and Sources/Labs/\(scaffold.name)/.
            """)
    }
}
