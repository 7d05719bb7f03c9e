import Foundation

/// One variant's scenario against a lab that compose deployed (`labctl run <lab> --target compose`,
/// what the generated one-shot `scenario` service runs): the same runner, measurements and panel
/// check as a native run, but nothing is started or stopped here: compose did that, with the
/// variant's env files (`LAB_VARIANT`). Trace facts are not available (the traces are in Jaeger,
/// not in a local trace store); those measurements come out missing and say why.
public struct ComposeScenario: Sendable {
    public let manifest: LabManifest
    public let variant: String
    public let target: ComposeTarget
    public let prometheus: PrometheusClient
    public let durationScale: Double
    public let log: @Sendable (String) -> Void
    public let progress: (@Sendable (String) -> Void)?
    /// Seconds between Prometheus scrapes in prometheus/prometheus.compose.yml.
    public static let scrapeInterval = "2s"

    public init(
        manifest: LabManifest, variant: String, target: ComposeTarget, prometheus: PrometheusClient? = nil,
        durationScale: Double = 1, log: @escaping @Sendable (String) -> Void = { _ in },
        progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.manifest = manifest
        self.variant = variant
        self.target = target
        self.prometheus = prometheus ?? PrometheusClient(baseURL: ComposeLayout.prometheusURL)
        self.durationScale = durationScale
        self.log = log
        self.progress = progress
    }

    /// How many scrape targets the lab has in prometheus/targets/<lab>.json.
    public var scrapeTargetCount: Int {
        target.layout.allInstanceNames.count
            + manifest.infrastructure.filter { $0.proxied && ComposeImages.image(for: $0) != nil }.count
            + manifest.infrastructure.filter { ComposeImages.image(for: $0)?.metrics != nil }.count
    }

    public func run() async throws -> Comparison {
        log("— variant \(variant): waiting for \(manifest.id)'s services on the compose network…")
        try await target.waitUntilReady()
        try await waitForFirstScrape()
        let variant = self.variant
        let log = self.log
        let progress = self.progress
        let runner = ScenarioRunner(
            manifest: manifest, lab: target, durationScale: durationScale,
            progress: { line in progress?("[\(variant)] " + line) },
            log: { line in log("[\(variant)] " + line) })
        var run = try await runner.run(variant: variant)
        // Let the last samples land: two scrapes of the shared Prometheus and a span batch.
        try await Task.sleep(for: .seconds(2 * (Double(Self.scrapeInterval.dropLast()) ?? 2) + 1))

        let evaluator = MeasurementEvaluator(prometheus: prometheus, traces: nil)
        var measured: [String: MeasurementEvaluator.Value] = [:]
        for spec in manifest.measurements {
            var value = await evaluator.evaluate(spec, in: run)
            if case .trace = spec.source {
                value = .missing("trace facts need the native trace store; on the compose path open the traces in Jaeger")
            }
            measured[spec.name] = value
        }
        MeasurementEvaluator.derive(manifest.measurements, &measured)
        var values: [String: [String: MeasurementEvaluator.Value]] = [:]
        for (name, value) in measured { values[name, default: [:]][variant] = value }
        let panels = await LabComparison.panelSeries(manifest.dashboard, prometheus: prometheus, run: run)
        run.panelsWithoutData = ScenarioRun.panelsWithoutData(panels)
        if !run.panelsWithoutData.isEmpty {
            log("[\(variant)] dashboard panels without data: \(run.panelsWithoutData.joined(separator: "; "))")
        }
        return Comparison(lab: manifest, runs: [run], values: values)
    }

    /// The scenario starts once Prometheus has scraped every one of the lab's targets.
    func waitForFirstScrape() async throws {
        let query = "count(up{lab=\"\(manifest.id)\"} == 1)"
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let up = (try? await prometheus.instant(query))?.first?.value ?? 0
            if Int(up) >= scrapeTargetCount { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        log(
            "warning: Prometheus has not scraped all \(scrapeTargetCount) targets of \(manifest.id) after 120 s; PromQL measurements may lack data"
        )
    }
}

/// The comparison of the variants' results that `labctl run --target compose --results-dir`
/// wrote (`<variant>.json`, one per run): `labctl compare <lab> --from-results <dir>`.
public enum ComposeResults {
    public struct ResultsError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func file(in directory: URL, variant: String) -> URL {
        directory.appendingPathComponent("\(variant).json")
    }

    /// Reads the variants' results (in the manifest's variant order, those present). Expectations
    /// about a variant with no results are skipped, as with `compare --variants`.
    public static func comparison(for manifest: LabManifest, directory: URL) throws -> Comparison {
        var values: [String: [String: MeasurementEvaluator.Value]] = [:]
        var runs: [ScenarioRun] = []
        for variant in manifest.variantNames {
            let url = file(in: directory, variant: variant)
            guard let data = try? Data(contentsOf: url) else { continue }
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let measurements = object["measurements"] as? [[String: Any]]
            else { throw ResultsError(description: "\(url.path) is not the JSON of `labctl run --json`") }
            for measurement in measurements {
                guard let name = measurement["name"] as? String else { continue }
                let value = (measurement["values"] as? [String: Any])?[variant]
                switch value {
                case let number as Double: values[name, default: [:]][variant] = .number(number)
                case let missing as [String: Any]: values[name, default: [:]][variant] = .missing("\(missing["missing"] ?? "missing")")
                default: values[name, default: [:]][variant] = .missing("not in \(url.lastPathComponent)")
                }
            }
            let run = (object["runs"] as? [[String: Any]] ?? []).first { $0["variant"] as? String == variant }
            runs.append(ScenarioRun(recordedVariant: variant, json: run ?? [:]))
        }
        guard !runs.isEmpty else {
            throw ResultsError(description: "no results in \(directory.path) (run the scenario service first)")
        }
        return Comparison(lab: manifest, runs: runs, values: values, skipping: Set(manifest.variantNames).subtracting(runs.map(\.variant)))
    }
}

extension ScenarioRun {
    /// A run as `labctl run --json` recorded it: phases, actions, the panels without data and the
    /// timings (not the load generator's histograms, which stay in that run's measurements).
    init(recordedVariant variant: String, json: [String: Any]) {
        let phases = (json["phases"] as? [[String: Any]] ?? []).compactMap { phase -> PhaseWindow? in
            guard let name = phase["name"] as? String, let start = phase["start"] as? Double, let end = phase["end"] as? Double else {
                return nil
            }
            return PhaseWindow(name: name, start: start, end: end)
        }
        self.init(
            variant: variant, startTime: phases.first?.start ?? 0, phases: phases, load: LoadReport(phases: []),
            actions: (json["actions"] as? [[String: Any]] ?? []).map {
                ActionRecord(
                    offset: $0["offset"] as? Double ?? 0, description: $0["description"] as? String ?? "", error: $0["error"] as? String)
            },
            timeline: [])
        panelsWithoutData = json["panels_without_data"] as? [String] ?? []
        panelReadings = (json["panel_readings"] as? [[String: Any]] ?? []).compactMap(PanelTruth.Reading.init(json:))
        timings = (json["timings"] as? [[String: Any]] ?? []).compactMap { timing in
            guard let step = timing["step"] as? String, let seconds = timing["seconds"] as? Double else { return nil }
            return Timing(step: step, seconds: seconds)
        }
    }
}
