import ArgumentParser
import Foundation
import LabControl

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run one variant's scenario on a fresh start of the lab and print its measurements.")

    @Argument(help: "The lab: week number (7, week07) or slug.") var lab: String
    @Option(help: "The variant to run.") var variant: String = "before"
    @Option(name: .customLong("duration-scale"), help: "Multiply every phase duration by this factor.") var durationScale: Double = 1
    @Flag(help: "Print the results as JSON.") var json = false
    @OptionGroup var locations: LabLocations
    @Option(
        help:
            "native: start the lab here, run, stop it. compose: run against the lab compose deployed (from the scenario container on the lab network)."
    )
    var target: RunTarget = .native
    @Option(
        name: .customLong("results-dir"),
        help: "Also write the results (JSON) to <dir>/<variant>.json, for `labctl compare --from-results`.")
    var resultsDir: String?
    @Option(name: .customLong("otlp-port"), help: "Port of the embedded OTLP receiver (default 4318, another free one if taken; 0: any).")
    var otlpPort: Int = 4318

    enum RunTarget: String, ExpressibleByArgument, CaseIterable { case native, compose }

    func validate() throws {
        try Experiment.validate(durationScale: durationScale)
    }

    func run() async throws {
        let entry = try Experiment.entry(lab, locations: locations)
        guard entry.manifest.variants[variant] != nil else {
            throw Failure(
                "\(entry.manifest.id) has no variant '\(variant)' (variants: \(entry.manifest.variantNames.joined(separator: ", ")))")
        }
        let comparison: Comparison
        switch target {
        case .native:
            var options = try Experiment.options(locations: locations, quiet: false)
            options.otlp = .embedded(port: otlpPort)
            comparison = try await LabComparison(
                entry: entry, options: options, durationScale: durationScale, variants: [variant],
                progress: Experiment.progressPrinter(quiet: false)
            ).run().comparison
        case .compose:
            let environment = ProcessInfo.processInfo.environment
            comparison = try await ComposeScenario(
                manifest: entry.manifest, variant: variant,
                target: ComposeTarget(manifest: entry.manifest, adminToken: environment["LAB_ADMIN_TOKEN"]),
                durationScale: durationScale, log: { note($0) }, progress: Experiment.progressPrinter(quiet: false)
            ).run()
        }
        FileHandle.standardError.write(Data("\n".utf8))
        if let resultsDir {
            let directory = URL(fileURLWithPath: resultsDir, isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let data = try JSONSerialization.data(withJSONObject: comparison.json(), options: [.prettyPrinted, .sortedKeys])
            try data.write(to: ComposeResults.file(in: directory, variant: variant))
        }
        if json {
            try Experiment.printJSON(comparison.json())
        } else {
            // One variant: the table without the change column; expectations that need other
            // variants cannot be decided from one run, so they are not shown.
            let c = comparison
            var rows = [["measurement", variant]]
            for spec in entry.manifest.measurements {
                rows.append([spec.name, Comparison.format(c.values[spec.name]?[variant] ?? .missing(""), unit: spec.unit)])
            }
            print(rows.map { $0[0].padding(toLength: 28, withPad: " ", startingAt: 0) + "  " + $0[1] }.joined(separator: "\n"))
            if let run = c.runs.first, !run.actions.isEmpty {
                print("\nactions:")
                for a in run.actions {
                    print(String(format: "  %6.1fs  ", a.offset) + a.description + (a.error.map { "  FAILED: \($0)" } ?? ""))
                }
            }
            if let run = c.runs.first, !run.panelsWithoutData.isEmpty {
                print("\ndashboard panels without data: " + run.panelsWithoutData.joined(separator: "; "))
            }
        }
    }
}
