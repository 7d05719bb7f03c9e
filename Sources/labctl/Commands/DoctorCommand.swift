import ArgumentParser
import Foundation
import LabControl

/// `labctl doctor`: which programs are installed (and the Debian package for each missing one),
/// and which labs can run natively here.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "What is installed, and what each lab still needs.")
    @OptionGroup var locations: LabLocations

    static let programs: [(String, String)] = [
        ("redis-server", "Redis for labs"), ("redis-cli", "Redis client (tests)"),
        ("initdb", "PostgreSQL cluster setup"), ("postgres", "PostgreSQL server"), ("psql", "PostgreSQL client"),
        ("prometheus", "metrics for every lab"), ("promtool", "rule and config checks"),
        ("docker", "optional: the compose runtime"),
    ]

    func run() async throws {
        let locator = ProgramLocator.standard
        var rows: [[String]] = []
        var missingPackages: [String] = []
        for (program, purpose) in Self.programs {
            if let path = locator.locate(program) {
                rows.append(["ok", program, path.path, purpose])
            } else {
                let package = DebianPackages.package(for: program == "docker" ? "docker.io" : program)
                rows.append(["missing", program, "apt-get install \(package)", purpose])
                if program != "docker" { missingPackages.append(package) }
            }
        }
        let labsvc = (try? RuntimeOptions(stateDirectory: locations.stateDirectory).resolveLabsvc())
        rows.append(
            labsvc.map { ["ok", "labsvc", $0.path, "runs every lab service"] }
                ?? ["missing", "labsvc", "swift build --product labsvc", "runs every lab service"])
        print(table(["STATUS", "PROGRAM", "WHERE / FIX", "PURPOSE"], rows))

        if let catalog = try? locations.catalog() {
            print("")
            let labRows = catalog.labs.map {
                [String($0.manifest.week), $0.manifest.slug, NativeSupport.check($0.manifest, locator: locator).summary]
            }
            if labRows.isEmpty {
                print("no labs in \(catalog.root.path)")
            } else {
                print(table(["WEEK", "LAB", "RUNS NATIVELY"], labRows))
            }
            for problem in catalog.problems { print("invalid: \(problem)") }
        }
        if !missingPackages.isEmpty {
            print("\nto install what is missing: apt-get install \(Array(Set(missingPackages)).sorted().joined(separator: " "))")
        }
    }
}
