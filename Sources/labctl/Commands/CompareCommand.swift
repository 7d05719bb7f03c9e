import ArgumentParser
import Foundation
import LabControl

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run every variant and check the lab's expectations (exit 0 only if all hold).",
        discussion: "Writes a self-contained HTML report under .lab/reports/.")

    @Argument(help: "The lab: week number (7, week07) or slug.") var lab: String
    @Option(name: .customLong("duration-scale"), help: "Multiply every phase duration by this factor.") var durationScale: Double = 1
    @Option(name: .customLong("variants"), help: "Only these variants, comma-separated, in order.") var variantList: String?
    @Flag(help: "Print the results as JSON.") var json = false
    @Option(name: .customLong("labs-dir"), help: "Where the labs are (default: labs/ of this checkout).") var labsDir: String?
    @Option(name: .customLong("from-results"), help: "Run nothing: compare the <variant>.json files `labctl run --results-dir` wrote there (the Docker path).")
    var fromResults: String?

    func validate() throws {
        guard durationScale > 0, durationScale.isFinite else { throw ValidationError("--duration-scale must be a positive number") }
    }

    func run() async throws {
        let entry = try Experiment.entry(lab, labsDir: labsDir)
        if let fromResults {
            let comparison = try ComposeResults.comparison(for: entry.manifest, directory: URL(fileURLWithPath: fromResults, isDirectory: true))
            if json { try Experiment.printJSON(comparison.json()) } else {
                print("\nWeek \(entry.manifest.week) — \(entry.manifest.title)\n")
                print(comparison.table())
            }
            if !comparison.holds { throw ExitCode(1) }
            return
        }
        let options = try Experiment.options(labsDir: labsDir, quiet: false)
        let variants = variantList.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let variants, let unknown = variants.first(where: { entry.manifest.variants[$0] == nil }) {
            throw ValidationError("\(entry.manifest.id) has no variant '\(unknown)' (variants: \(entry.manifest.variantNames.joined(separator: ", ")))")
        }
        let comparison = LabComparison(
            entry: entry, options: options, durationScale: durationScale, variants: variants,
            progress: Experiment.progressPrinter(quiet: false))
        let data = try await comparison.run()
        FileHandle.standardError.write(Data("\n".utf8))
        let report = try LabComparison.writeReport(data, stateDirectory: options.stateDirectory)
        try ComparisonArchive.write(data, report: report, stateDirectory: options.stateDirectory)   // the console's compare view
        if json {
            var object = data.comparison.json()
            object["report"] = report.path
            try Experiment.printJSON(object)
        } else {
            print("\nWeek \(entry.manifest.week) — \(entry.manifest.title)\n")
            print(data.comparison.table())
            for finding in PanelTruth.findings(data.comparison) { print("panel disagrees with the load generator: \(finding)") }
            print("report: \(report.path)")
        }
        if !data.comparison.holds { throw ExitCode(1) }
    }
}
