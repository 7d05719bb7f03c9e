import Foundation
import LabKit

/// A prometheus.yml for the native runtime: one scrape job per lab service, either written into the
/// file (`static_configs`) or read from a targets file the runtime rewrites while Prometheus runs
/// (`file_sd_configs`, each group's `job` label naming its job, as the compose path does).
///
/// Rendered by hand (stable key order, every string JSON-quoted, which is valid YAML) so that
/// generated files are byte-for-byte reproducible and `labctl gen --check` can compare them.
public struct PrometheusConfig: Sendable, Equatable {
    public var scrapeInterval: String
    public var evaluationInterval: String
    public var jobs: [PrometheusScrapeJob]
    public var ruleFiles: [String]
    /// Adds `scrape_protocols` (OpenMetrics first); Prometheus 2.49+ only.
    public var offerScrapeProtocols: Bool
    /// A comment written at the top of the file.
    public var header: String?
    /// When set, one scrape job reads its targets (and their `job` labels) from this JSON file.
    public var targetsFile: String?

    public init(
        scrapeInterval: String = "1s", evaluationInterval: String? = nil, jobs: [PrometheusScrapeJob],
        ruleFiles: [String] = [], offerScrapeProtocols: Bool = false, header: String? = nil, targetsFile: String? = nil
    ) {
        self.scrapeInterval = scrapeInterval
        self.evaluationInterval = evaluationInterval ?? scrapeInterval
        self.jobs = jobs
        self.ruleFiles = ruleFiles
        self.offerScrapeProtocols = offerScrapeProtocols
        self.header = header
        self.targetsFile = targetsFile
    }

    public func render() -> String {
        var lines: [String] = []
        if let header { lines += header.split(separator: "\n", omittingEmptySubsequences: false).map { "# \($0)" } }
        lines += [
            "global:",
            "  scrape_interval: \(quote(scrapeInterval))",
            "  evaluation_interval: \(quote(evaluationInterval))",
        ]
        if offerScrapeProtocols {
            lines.append("  scrape_protocols: [\"OpenMetricsText1.0.0\", \"OpenMetricsText0.0.1\", \"PrometheusText0.0.4\"]")
        }
        if !ruleFiles.isEmpty {
            lines.append("rule_files:")
            lines += ruleFiles.map { "  - \(quote($0))" }
        }
        lines.append("scrape_configs:")
        if let targetsFile {
            lines += [
                "  - job_name: \"lab\"",
                "    file_sd_configs:",
                "      - files: [\(quote(targetsFile))]",
                "        refresh_interval: \"1s\"",
            ]
            return lines.joined(separator: "\n") + "\n"
        }
        if jobs.isEmpty { lines[lines.count - 1] += " []" }
        for job in jobs {
            lines += [
                "  - job_name: \(quote(job.name))",
                "    metrics_path: \(quote(job.metricsPath))",
                "    static_configs:",
                "      - targets: [\(job.targets.map(quote).joined(separator: ", "))]",
            ]
            if !job.labels.isEmpty {
                lines.append("        labels:")
                lines += job.labels.sorted { $0.key < $1.key }.map { "          \($0.key): \(quote($0.value))" }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The targets file for `file_sd_configs`: one group per job, `job` and `__metrics_path__` as labels.
    public static func targetsJSON(_ jobs: [PrometheusScrapeJob]) -> String {
        let groups: [JSONValue] = jobs.map { job in
            var labels = job.labels.mapValues { JSONValue.string($0) }
            labels["job"] = .string(job.name)
            labels["__metrics_path__"] = .string(job.metricsPath)
            return .object(["targets": .array(job.targets.map { .string($0) }), "labels": .object(labels)])
        }
        return JSONValue.array(groups).encodedString() + "\n"
    }

    /// A double-quoted YAML scalar (JSON string syntax).
    private func quote(_ string: String) -> String {
        JSONValue.quoted(string, escapingSlashes: false)
    }
}
