import ArgumentParser
import Foundation
import LabControl

/// `labctl chaos <lab> <experiment>`: a chaos experiment against the lab `labctl up` runs.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Run a chaos experiment against the running lab: hypothesis held, broken or aborted, with the numbers.",
        discussion: """
            The experiment is a file (path.yaml) or a name from the lab's experiments/ folder. It checks the \
            steady-state hypothesis (PromQL against the lab's Prometheus), injects the fault (kill, stop, \
            latency, proxy_down), polls the hypothesis while the fault is in, and rolls the fault back early \
            when the hypothesis breaks (the abort). Start the lab first with `labctl up <lab>`.

            Exit status: 0 held, 2 aborted, 3 broken (no abort), 4 not in steady state before the fault, 1 an error.
            """)

    @Argument(help: "The lab: week number (28, week28) or slug; it must be running (`labctl up`).") var lab: String
    @Argument(help: "The experiment: a YAML file, or a name in the lab's experiments/ folder.") var experiment: String
    @Flag(help: "Print the report as JSON.") var json = false
    @OptionGroup var locations: LabLocations

    func run() async throws {
        let entry = try Experiment.entry(lab, locations: locations)
        let isFile = experiment.hasSuffix(".yaml") || experiment.hasSuffix(".yml") || experiment.contains("/")
        let url =
            isFile
            ? URL(fileURLWithPath: experiment)
            : entry.directory.appendingPathComponent("experiments/\(experiment).yaml")
        guard FileManager.default.fileExists(atPath: url.path) else {
            let available =
                (try? FileManager.default.contentsOfDirectory(atPath: entry.directory.appendingPathComponent("experiments").path))?
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
            throw Failure(
                "no experiment \(isFile ? url.path : "'\(experiment)' in labs/\(entry.directoryName)/experiments/")"
                    + (available.isEmpty ? "" : " (experiments: \(available.joined(separator: ", ")))"))
        }
        let parsed: ChaosExperiment
        do {
            parsed = try ChaosExperimentParser.load(
                url, displayName: isFile ? experiment : "labs/\(entry.directoryName)/experiments/\(experiment).yaml",
                targets: ChaosTargets(entry.manifest))
        } catch let error as ManifestError {
            throw Failure(error.description)
        }
        let target: UpLabTarget
        do {
            target = try UpLabTarget(stateDirectory: locations.stateDirectory, lab: entry.manifest)
        } catch let error as RuntimeError {
            throw Failure(error.description)
        }
        guard let prometheus = target.prometheusURL else { throw Failure("the running lab has no Prometheus") }
        let runner = ChaosRunner(lab: target, prometheus: PrometheusClient(baseURL: prometheus), log: { note($0) })
        let report: ChaosReport
        do {
            report = try await runner.run(parsed)
        } catch {
            throw Failure("chaos \(parsed.name): \(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
        if report.outcome.exitStatus != 0 { throw ExitCode(report.outcome.exitStatus) }
    }
}
