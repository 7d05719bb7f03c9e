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
    @OptionGroup var locations: LabLocations
    @Option(
        name: .customLong("from-results"),
        help: "Run nothing: compare the <variant>.json files `labctl run --results-dir` wrote there (the Docker path).")
    var fromResults: String?
    @Option(name: .customLong("json-file"), help: "Also write the results as JSON to this file.") var jsonFile: String?
    @Option(name: .customLong("otlp-port"), help: "Port of the embedded OTLP receiver (default 4318, another free one if taken; 0: any).")
    var otlpPort: Int = 4318
    @Flag(help: "Run even below the lab's shortest scale (its lab.yaml's test.min_duration_scale).") var force = false
    @Flag(help: "Save the results as the lab's recorded run (labs/<lab>/results.json) and regenerate its README's results block.")
    var record = false

    func validate() throws {
        try Experiment.validate(durationScale: durationScale)
    }

    func run() async throws {
        let entry = try Experiment.entry(lab, locations: locations)
        if let fromResults {
            let comparison = try ComposeResults.comparison(
                for: entry.manifest, directory: URL(fileURLWithPath: fromResults, isDirectory: true))
            if let jsonFile {
                let bytes = try JSONSerialization.data(withJSONObject: comparison.json(), options: [.prettyPrinted, .sortedKeys])
                try bytes.write(to: URL(fileURLWithPath: jsonFile))
            }
            if json {
                try Experiment.printJSON(comparison.json())
            } else {
                print("\nWeek \(entry.manifest.week) — \(entry.manifest.title)\n")
                print(comparison.table())
            }
            if !comparison.holds { throw ExitCode(1) }
            return
        }
        if let refusal = Experiment.scaleRefusal(entry, durationScale: durationScale), !force { throw Failure(refusal) }
        var options = try Experiment.options(locations: locations, quiet: false)
        options.otlp = .embedded(port: otlpPort)
        let variants = variantList.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let variants, let unknown = variants.first(where: { entry.manifest.variants[$0] == nil }) {
            throw Failure(
                "\(entry.manifest.id) has no variant '\(unknown)' (variants: \(entry.manifest.variantNames.joined(separator: ", ")))")
        }
        let comparison = LabComparison(
            entry: entry, options: options, durationScale: durationScale, variants: variants,
            progress: Experiment.progressPrinter(quiet: false))
        let data = try await comparison.run()
        FileHandle.standardError.write(Data("\n".utf8))
        let report = try LabComparison.writeReport(data, stateDirectory: options.stateDirectory)
        var object = data.comparison.json()
        object["report"] = report.path
        object["duration_scale"] = durationScale
        if let jsonFile {
            let bytes = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try bytes.write(to: URL(fileURLWithPath: jsonFile))
        }
        if record { try Self.record(object, entry: entry, labsDir: locations.labsDir) }
        try ComparisonArchive.write(data, report: report, stateDirectory: options.stateDirectory) // the console's compare view
        if json {
            try Experiment.printJSON(object)
        } else {
            print("\nWeek \(entry.manifest.week) — \(entry.manifest.title)\n")
            print(data.comparison.table())
            print("report: \(report.path)")
        }
        if !data.comparison.holds { throw ExitCode(1) }
    }

    /// Saves the run as `labs/<lab>/results.json` and rewrites the README's results block from it.
    static func record(_ results: [String: Any], entry: LabCatalog.Entry, labsDir: String?) throws {
        var object = results
        object.removeValue(forKey: "report")
        object["recorded_at"] = Self.recordedAt()
        object["machine"] = "\(ProcessInfo.processInfo.activeProcessorCount) cores"
        // Timestamps and per-second detail would change on every run without telling the learner anything.
        object["runs"] = (results["runs"] as? [[String: Any]] ?? []).map { run in
            [
                "variant": run["variant"] ?? "",
                "actions": (run["actions"] as? [[String: Any]] ?? []).map {
                    ["offset": $0["offset"] ?? 0, "description": $0["description"] ?? ""]
                },
            ]
        }
        let file = entry.directory.appendingPathComponent(LabReadmeResultsGenerator.resultsFile)
        let bytes = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (bytes + Data("\n".utf8)).write(to: file)
        let catalog = try LabCatalog.load(root: LabCatalog.defaultRoot(override: labsDir))
        let outcome = try Generation(generators: [LabReadmeResultsGenerator()])
            .run(catalog: catalog, repositoryRoot: catalog.root.deletingLastPathComponent(), check: false)
        note(
            "recorded \(file.path)"
                + (outcome.changed.isEmpty
                    ? " (the README has no results block: add `<!-- results:begin -->` and `<!-- results:end -->`)"
                    : "; updated \(outcome.changed.joined(separator: ", "))"))
    }

    static func recordedAt() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd 'at' HH:mm 'UTC'"
        return formatter.string(from: Date())
    }
}
