import Foundation

/// `labctl compare` as a library: every variant of a lab in order, each on a fresh start of the
/// lab (same infrastructure, clean state), the same scenario, the same measurements; then the
/// expectations decide. Each variant's lab is brought down before the next starts.
public struct LabComparison: Sendable {
    public let entry: LabCatalog.Entry
    public let options: RuntimeOptions
    public let durationScale: Double
    public let variants: [String]
    public let progress: (@Sendable (String) -> Void)?

    public init(
        entry: LabCatalog.Entry, options: RuntimeOptions, durationScale: Double = 1,
        variants: [String]? = nil, progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.entry = entry
        self.options = options
        self.durationScale = durationScale
        self.variants = variants ?? entry.manifest.variantNames
        self.progress = progress
    }

    public func run() async throws -> ReportData {
        var runs: [ScenarioRun] = []
        var values: [String: [String: MeasurementEvaluator.Value]] = [:]
        var panels: [String: [ReportData.PanelSeries]] = [:]
        var slowest: [String: Trace] = [:]
        for variant in variants {
            let result = try await runVariant(variant)
            runs.append(result.run)
            for (name, value) in result.values { values[name, default: [:]][variant] = value }
            panels[variant] = result.panels
            slowest[variant] = result.slowest
        }
        return ReportData(
            comparison: Comparison(
                lab: entry.manifest, runs: runs, values: values,
                skipping: Set(entry.manifest.variantNames).subtracting(variants)),
            panels: panels, slowestTraces: slowest)
    }

    struct VariantResult {
        var run: ScenarioRun
        var values: [String: MeasurementEvaluator.Value]
        var panels: [ReportData.PanelSeries]
        var slowest: Trace?
    }

    /// One variant: up, scenario, measurements (while Prometheus and the traces are still there), down.
    func runVariant(_ variant: String) async throws -> VariantResult {
        var options = self.options
        options.variant = variant
        options.log("— variant \(variant): starting \(entry.manifest.id)")
        let lab = try await LabRuntime.up(entry, options: options)
        do {
            if let url = lab.prometheusURL {
                try await Self.waitForFirstScrape(PrometheusClient(baseURL: url), targets: lab.instances.count, log: options.log)
            }
            let progress = self.progress
            let log = options.log
            let runner = ScenarioRunner(
                manifest: entry.manifest, lab: lab, durationScale: durationScale,
                progress: { line in progress?("[\(variant)] " + line) },
                log: { line in log("[\(variant)] " + line) })
            var run = try await runner.run(variant: variant)
            // Let the last samples land: one more scrape, one more span export.
            try await Task.sleep(for: .seconds(Self.settleSeconds(options.scrapeInterval)))

            let prometheus = lab.prometheusURL.map { PrometheusClient(baseURL: $0) }
            let traces = try? TraceStore(
                directory: options.stateDirectory.appendingPathComponent("traces").path, readOnly: true)
            let evaluator = MeasurementEvaluator(prometheus: prometheus, traces: traces)
            var values: [String: MeasurementEvaluator.Value] = [:]
            for spec in entry.manifest.measurements {
                values[spec.name] = await evaluator.evaluate(spec, in: run)
            }
            let panels = await Self.panelSeries(entry.manifest.dashboard, prometheus: prometheus, run: run)
            run.panelsWithoutData = ScenarioRun.panelsWithoutData(panels)
            run.panelReadings = await PanelTruth.readings(entry.manifest, prometheus: prometheus, traces: traces, run: run)
            if !run.panelsWithoutData.isEmpty {
                options.log("[\(variant)] dashboard panels without data: \(run.panelsWithoutData.joined(separator: "; "))")
            }
            var slowest: Trace?
            if let traces, let window = run.window(nil) {
                slowest = try? traces.slowestTrace(TraceQuery(
                    from: Date(timeIntervalSince1970: window.start), to: Date(timeIntervalSince1970: window.end)))
            }
            await lab.down()
            return VariantResult(run: run, values: values, panels: panels, slowest: slowest)
        } catch {
            await lab.down()
            throw error
        }
    }

    /// Prometheus only knows a service after its first scrape of it; a measurement over a window
    /// before that has no data. So the scenario starts once every service has been scraped.
    static func waitForFirstScrape(_ prometheus: PrometheusClient, targets: Int, log: @Sendable (String) -> Void) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let up = (try? await prometheus.instant("count(up == 1)"))?.first?.value ?? 0
            if Int(up) >= targets { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        log("warning: Prometheus has not scraped all \(targets) services after 60 s; PromQL measurements may lack data")
    }

    /// Two scrape intervals plus a second for the services' span batches (OTEL_BSP_SCHEDULE_DELAY).
    static func settleSeconds(_ scrapeInterval: String) -> Double {
        let seconds = Double(scrapeInterval.dropLast()) ?? 1
        return 2 * seconds + 1
    }

    /// The lab's dashboard panels over the run, for the report's charts (best effort).
    static func panelSeries(_ panels: [DashboardPanel], prometheus: PrometheusClient?, run: ScenarioRun) async -> [ReportData.PanelSeries] {
        guard let prometheus, let window = run.window(nil) else { return [] }
        var out: [ReportData.PanelSeries] = []
        for panel in panels {
            let query = panel.promql.replacingOccurrences(of: "$__rate_interval", with: "5s")
                .replacingOccurrences(of: "$window", with: "5s")
            let series = (try? await prometheus.range(query, start: window.start, end: window.end + 1, step: 1)) ?? []
            out.append(.init(title: panel.title, unit: panel.unit, series: series))
        }
        return out
    }

    /// Writes the HTML report under `<state>/reports/` and returns its path.
    public static func writeReport(_ data: ReportData, stateDirectory: URL) throws -> URL {
        let directory = stateDirectory.appendingPathComponent("reports", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let file = directory.appendingPathComponent("\(data.comparison.lab.slug)-\(stamp).html")
        try HTMLReport.render(data).write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}
