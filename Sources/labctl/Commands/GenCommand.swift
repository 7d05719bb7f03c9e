import ArgumentParser
import Foundation
import LabControl

/// `labctl gen [--check]`: regenerate what derives from the manifests; --check names stale files.
struct GenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gen", abstract: "Regenerate files derived from lab manifests.")
    @Flag(help: "Fail and name the stale files instead of writing them.") var check = false
    @OptionGroup var locations: LabLocations

    func run() async throws {
        let catalog = try locations.catalog()
        let root = catalog.root.deletingLastPathComponent()
        let outcome: Generation.Outcome
        do {
            outcome = try Generation.standard.run(catalog: catalog, repositoryRoot: root, check: check)
        } catch let error as ManifestError {
            throw Failure("\(error)")
        }
        if check {
            guard outcome.isUpToDate else {
                for path in outcome.changed { note("stale: \(path)") }
                for path in outcome.removed { note("stale (no longer generated): \(path)") }
                throw Failure("generated files are stale: run `labctl gen`")
            }
            print("generated files are up to date (\(outcome.unchanged.count) checked)")
        } else {
            for path in outcome.changed { print("wrote \(path)") }
            for path in outcome.removed { print("removed \(path)") }
            print("\(outcome.changed.count) written, \(outcome.removed.count) removed, \(outcome.unchanged.count) unchanged")
        }
    }
}
