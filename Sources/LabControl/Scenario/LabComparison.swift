import Foundation

/// `labctl compare` as a library: every variant of a lab in order, each on a fresh start of the
/// lab (same infrastructure, clean state), the same scenario, the same measurements; then the
/// expectations decide. Each variant's lab is brought down before the next starts.
///
/// One OTLP receiver and trace store serve every variant (a store rebuilds its index from its files
/// when it opens, so it is opened once); each variant's trace facts come from its own time window.
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
        let receiver = try await TraceReception.start(options)
        do {
            var runs: [ScenarioRun] = []
            var values: [String: [String: MeasurementEvaluator.Value]] = [:]
            var panels: [String: [ReportData.PanelSeries]] = [:]
            var slowest: [String: Trace] = [:]
            var prepared: PreparedStart?
            for (index, variant) in variants.enumerated() {
                let next = index + 1 < variants.count ? variants[index + 1] : nil
                let result: VariantResult
                result = try await runVariant(variant, receiver: receiver, prepared: prepared, prepareNext: next)
                prepared = result.next
                runs.append(result.run)
                for (name, value) in result.values { values[name, default: [:]][variant] = value }
                panels[variant] = result.panels
                slowest[variant] = result.slowest
            }
            await receiver.stop()
            return ReportData(
                comparison: Comparison(
                    lab: entry.manifest, runs: runs, values: values,
                    skipping: Set(entry.manifest.variantNames).subtracting(variants)),
                panels: panels, slowestTraces: slowest)
        } catch {
            await receiver.stop()
            throw error
        }
    }

    struct VariantResult {
        var run: ScenarioRun
        var values: [String: MeasurementEvaluator.Value]
        var panels: [ReportData.PanelSeries]
        var slowest: Trace?
        /// The next variant's start, prepared while this one ran.
        var next: PreparedStart?
    }

    func options(for variant: String, receiver: TraceReception) -> RuntimeOptions {
        var options = self.options
        options.variant = variant
        options.otlp = receiver.mode
        options.timings = StartupTimings()
        return options
    }

    /// One variant: up, scenario, measurements (while Prometheus and the traces are still there), down.
    /// While its scenario runs, the next variant's start is prepared: its Prometheus needs about five
    /// seconds before it scrapes anything, and they pass during this scenario instead of after it.
    func runVariant(
        _ variant: String, receiver: TraceReception, prepared: PreparedStart?, prepareNext next: String?
    ) async throws
        -> VariantResult
    {
        let options = self.options(for: variant, receiver: receiver)
        let timings = options.timings
        options.log("— variant \(variant): starting \(entry.manifest.id)")
        let lab = try await timings.measure("up") { try await LabRuntime.up(entry, options: options, prepared: prepared) }
        // A service or server dying on its own is reported at once and voids the run.
        let watch = ProcessWatch(lab: lab, report: { exit in options.log("[\(variant)] stopping the run: \(exit)") })
        var upcoming: PreparedStart?
        do {
            let prometheus = lab.prometheusURL.map { PrometheusClient(baseURL: $0) }
            if let prometheus {
                try await timings.measure("first scrape") {
                    try await watch.guarding {
                        try await Self.waitForFirstScrape(prometheus, targets: lab.scrapeTargetCount, log: options.log)
                    }
                }
            }
            let progress = self.progress
            let log = options.log
            let runner = ScenarioRunner(
                manifest: entry.manifest, lab: lab, durationScale: durationScale,
                progress: { line in progress?("[\(variant)] " + line) },
                log: { line in log("[\(variant)] " + line) })
            if let next {
                upcoming = try await LabRuntime.prepare(entry, options: self.options(for: next, receiver: receiver))
            }
            var run = try await timings.measure("scenario") { try await watch.guarding { try await runner.run(variant: variant) } }
            let end = run.window(nil)?.end ?? Date().timeIntervalSince1970
            // Let the last samples land: a scrape after the end, and the services' last span batch.
            try await timings.measure("settle") {
                try await Self.settle(
                    prometheus, targets: lab.scrapeTargetCount, after: end,
                    spans: receiver.store != nil && entry.manifest.measurements.contains { $0.isTraceFact })
            }
            let evaluator = MeasurementEvaluator(prometheus: prometheus, traces: receiver.store)
            let finished = run
            let (values, panels) = await timings.measure("measure") {
                async let values = evaluator.evaluateAll(entry.manifest.measurements, in: finished)
                async let panels = Self.panelSeries(entry.manifest.dashboard, prometheus: prometheus, run: finished)
                return await (values, panels)
            }
            run.panelsWithoutData = ScenarioRun.panelsWithoutData(panels)
            run.panelReadings = await PanelTruth.readings(entry.manifest, prometheus: prometheus, traces: receiver.store, run: run)
            if !run.panelsWithoutData.isEmpty {
                options.log("[\(variant)] dashboard panels without data: \(run.panelsWithoutData.joined(separator: "; "))")
            }
            var slowest: Trace?
            if let traces = receiver.store, let window = run.window(nil) {
                slowest = try? traces.slowestTrace(
                    TraceQuery(
                        from: Date(timeIntervalSince1970: window.start), to: Date(timeIntervalSince1970: window.end)))
            }
            try watch.finish()
            await timings.measure("down") { await lab.down() }
            run.timings = timings.recorded.map { .init(step: $0.step, seconds: $0.seconds) }
            return VariantResult(run: run, values: values, panels: panels, slowest: slowest, next: upcoming)
        } catch {
            watch.stop()
            await upcoming?.cancel()
            await lab.down()
            throw error
        }
    }

    /// Prometheus only knows a service after its first scrape of it; a measurement over a window
    /// before that has no data. So the scenario starts once every target has been scraped.
    static func waitForFirstScrape(_ prometheus: PrometheusClient, targets: Int, log: @Sendable (String) -> Void) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let up = (try? await prometheus.instant("count(up == 1)"))?.first?.value ?? 0
            if Int(up) >= targets { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        log("warning: Prometheus has not scraped all \(targets) targets after 60 s; PromQL measurements may lack data")
    }

    /// Waits until every target has been scraped after `end` (so counters include the last
    /// requests), and at least a second when trace facts need the services' last span batches
    /// (they export every 500 ms). Gives up after 10 s: a dead target is not waited for forever.
    static func settle(_ prometheus: PrometheusClient?, targets: Int, after end: Double, spans: Bool) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        if let prometheus {
            let deadline = start + .seconds(10)
            while clock.now < deadline {
                let scraped = (try? await prometheus.instant("count(timestamp(up) > \(String(format: "%.3f", end)))"))?.first?.value ?? 0
                if Int(scraped) >= targets { break }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        if spans {
            let waited = (clock.now - start).seconds
            if waited < 1.0 { try await Task.sleep(for: .seconds(1.0 - waited)) }
        }
    }

    /// The lab's dashboard panels over the run, for the report's charts (best effort, all at once).
    static func panelSeries(_ panels: [DashboardPanel], prometheus: PrometheusClient?, run: ScenarioRun) async -> [ReportData.PanelSeries] {
        guard let prometheus, let window = run.window(nil) else { return [] }
        return await withTaskGroup(of: (Int, ReportData.PanelSeries).self) { group in
            for (index, panel) in panels.enumerated() {
                group.addTask {
                    let query = panel.promql.replacingOccurrences(of: "$__rate_interval", with: "5s")
                        .replacingOccurrences(of: "$window", with: "5s")
                    let series = (try? await prometheus.range(query, start: window.start, end: window.end + 1, step: 1)) ?? []
                    return (index, .init(title: panel.title, unit: panel.unit, series: series))
                }
            }
            var out: [Int: ReportData.PanelSeries] = [:]
            for await (index, series) in group { out[index] = series }
            return panels.indices.map { out[$0]! }
        }
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

/// The receiver a comparison shares across its variants (or the external endpoint it was given).
struct TraceReception: Sendable {
    let mode: RuntimeOptions.OTLPMode
    let store: TraceStore?
    let stop: @Sendable () async -> Void

    static func start(_ options: RuntimeOptions) async throws -> TraceReception {
        switch options.otlp {
        case .none, .external:
            return TraceReception(mode: options.otlp, store: options.externalTraceStore, stop: {})
        case .embedded(let port):
            let store = try TraceStore.openForReceiving(stateDirectory: options.stateDirectory, log: options.log)
            let receiver = OTLPReceiver(store: store, configuration: .init(port: port))
            let bound = try await receiver.start()
            let endpoint = "http://127.0.0.1:\(bound)"
            options.log("OTLP receiver  \(endpoint)  (traces in \(store.directory))")
            return TraceReception(mode: .external(endpoint), store: store, stop: { await receiver.stop() })
        }
    }
}

extension MeasurementEvaluator {
    /// Every measurement of a run, evaluated concurrently.
    func evaluateAll(_ specs: [MeasurementSpec], in run: ScenarioRun) async -> [String: Value] {
        await withTaskGroup(of: (String, Value).self) { group in
            for spec in specs { group.addTask { (spec.name, await self.evaluate(spec, in: run)) } }
            var values: [String: Value] = [:]
            for await (name, value) in group { values[name] = value }
            Self.derive(specs, &values)
            return values
        }
    }
}

extension MeasurementSpec {
    var isTraceFact: Bool { if case .trace = source { true } else { false } }
}
