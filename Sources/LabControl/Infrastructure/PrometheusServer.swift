import Foundation
import Synchronization

/// One Prometheus scrape job: a name (the `job` label) and its host:port targets.
public struct PrometheusScrapeJob: Sendable, Equatable, Codable {
    public var name: String
    public var targets: [String]
    public var metricsPath: String
    /// Extra labels on every series of this job (e.g. `lab`, `variant`).
    public var labels: [String: String]

    public init(name: String, targets: [String], metricsPath: String = "/metrics", labels: [String: String] = [:]) {
        self.name = name
        self.targets = targets
        self.metricsPath = metricsPath
        self.labels = labels
    }
}

/// A real `prometheus` on 127.0.0.1 scraping `scrapeTargets`, its TSDB in `directory/data`.
///
/// Targets come from `directory/targets.json` (file-based discovery), so they can change while it
/// runs (`setTargets`). Prometheus hands new targets to its scrape loop on a fixed five-second
/// tick from its start: the first scrape of any target comes about 5-6 s after `start`, however
/// early the targets are known. The native runtime therefore starts it before everything else.
///
/// Exemplar storage is enabled (latency panels link to traces). Prometheus 2.49+ gets
/// `scrape_protocols` with OpenMetrics first; older versions already prefer OpenMetrics in
/// their Accept header.
public final class PrometheusServer: Sendable {
    public let port: Int
    public let directory: URL
    public let configFile: URL
    public let targetsFile: URL
    public let process: ChildProcess
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private init(port: Int, directory: URL, configFile: URL, targetsFile: URL, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.configFile = configFile
        self.targetsFile = targetsFile
        self.process = process
    }

    /// Replaces what it scrapes (written atomically; Prometheus notices the file change).
    public func setTargets(_ jobs: [PrometheusScrapeJob]) throws {
        try PrometheusConfig.targetsJSON(jobs).write(to: targetsFile, atomically: true, encoding: .utf8)
    }

    public static func start(
        directory: URL,
        scrapeTargets: [PrometheusScrapeJob],
        scrapeInterval: String = "1s",
        ruleFiles: [URL] = [],
        extraFlags: [String] = [],
        locator: ProgramLocator = .standard,
        timeout: Duration = .seconds(60)
    ) async throws -> PrometheusServer {
        let executable = try locator.find("prometheus")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Always an empty database, like PostgreSQL's fresh cluster: series kept from an earlier run
        // (the previous variant, the previous compare) would answer instant queries for minutes.
        let data = directory.appendingPathComponent("data")
        if FileManager.default.fileExists(atPath: data.path) { try FileManager.default.removeItem(at: data) }
        let targetsFile = directory.appendingPathComponent("targets.json")
        try PrometheusConfig.targetsJSON(scrapeTargets).write(to: targetsFile, atomically: true, encoding: .utf8)
        let config = PrometheusConfig(
            scrapeInterval: scrapeInterval, jobs: scrapeTargets, ruleFiles: ruleFiles.map(\.path),
            offerScrapeProtocols: await PrometheusVersion.detect(executable, scratch: directory).supportsScrapeProtocols,
            targetsFile: targetsFile.path)
        let configFile = directory.appendingPathComponent("prometheus.yml")
        try config.render().write(to: configFile, atomically: true, encoding: .utf8)

        return try await withFreePortRetry { port in
            let process = try ChildProcess.spawn(
                name: "prometheus", executable: executable,
                arguments: [
                    "--config.file=\(configFile.path)",
                    "--storage.tsdb.path=\(data.path)",
                    "--web.listen-address=127.0.0.1:\(port)",
                    "--enable-feature=exemplar-storage",
                    "--web.enable-lifecycle",
                ] + extraFlags,
                environment: ChildProcess.minimalEnvironment(home: directory.path), directory: directory,
                logFile: directory.appendingPathComponent("prometheus.log"))
            do {
                try await Readiness.wait(for: process, what: "prometheus on port \(port)", timeout: timeout, interval: .milliseconds(100)) {
                    Probe.httpGet(port: port, path: "/-/ready")?.status == 200
                }
            } catch {
                await process.stop(signal: SIGKILL, grace: .seconds(2))
                throw error
            }
            return PrometheusServer(port: port, directory: directory, configFile: configFile, targetsFile: targetsFile, process: process)
        }
    }

    public func stop() async {
        await process.stop(signal: SIGTERM, grace: .seconds(15))
    }
}

/// The installed Prometheus version (from `prometheus --version`).
struct PrometheusVersion: Comparable {
    var major = 0, minor = 0

    static func < (a: Self, b: Self) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    var supportsScrapeProtocols: Bool { self >= PrometheusVersion(major: 2, minor: 49) }

    /// Parses "prometheus, version 2.42.0+ds (branch: …)".
    static func parse(_ text: String) -> PrometheusVersion? {
        guard let range = text.range(of: #"version (\d+)\.(\d+)"#, options: .regularExpression) else { return nil }
        let numbers = text[range].dropFirst("version ".count).split(separator: ".").compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return PrometheusVersion(major: numbers[0], minor: numbers[1])
    }

    /// Runs `prometheus --version` once per executable (through ChildProcess, like every child:
    /// Foundation's Process would reap children behind our back).
    static func detect(_ executable: URL, scratch: URL) async -> PrometheusVersion {
        let cached = versionCache.withLock { $0[executable.path] }
        if let cached { return cached }
        let log = scratch.appendingPathComponent("prometheus-version.txt")
        try? FileManager.default.removeItem(at: log)
        guard
            (try? await ChildProcess.run(
                name: "prometheus --version", executable: executable, arguments: ["--version"],
                directory: scratch, logFile: log, timeout: .seconds(30))) != nil,
            let output = try? String(contentsOf: log, encoding: .utf8)
        else { return PrometheusVersion() }
        let version = parse(output) ?? PrometheusVersion()
        versionCache.withLock { $0[executable.path] = version }
        return version
    }
}

private let versionCache = Mutex<[String: PrometheusVersion]>([:])
