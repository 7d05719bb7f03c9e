import Foundation
import LabKit

#if canImport(Glibc)
import Glibc
#endif

/// The lab behind the console: which lab runs in which variant, and everything the console's
/// controls do to it. One control at a time changes what runs (start, switch variant, scenario,
/// comparison); faults and process signals go straight to the running lab.
///
/// Traces outlive variant switches: the console owns the trace store and its OTLP receiver, and
/// every lab it starts exports there (`RuntimeOptions.OTLPMode.external`).
public actor ConsoleLab {
    public let catalog: LabCatalog
    public let store: TraceStore
    let baseOptions: RuntimeOptions
    /// The console's URL, added to `.lab/endpoints.json` each time a lab starts.
    var consoleURL: String?

    public private(set) var running: RunningLab?
    /// What the console is doing that keeps other controls waiting ("switching to after…").
    public private(set) var busy: String?
    /// The last control that failed in the background, shown on the page until the next one starts.
    public private(set) var lastError: String?
    public private(set) var timeline = ConsoleTimeline()
    /// The live progress line of the scenario run in progress.
    private(set) var scenarioProgress: String?
    /// The last scenario run's measurements (lab id, variant, name → value).
    private(set) var lastRun: (lab: String, variant: String, values: [String: MeasurementEvaluator.Value])?
    private var background: Task<Void, Never>?

    public init(catalog: LabCatalog, store: TraceStore, options: RuntimeOptions) {
        self.catalog = catalog
        self.store = store
        self.baseOptions = options
    }

    public func setConsoleURL(_ url: String) { consoleURL = url }

    var stateDirectory: URL { baseOptions.stateDirectory }

    // MARK: Starting and stopping

    /// Brings the current lab down (if any) and starts `entry` in `variant`; waits until it is up.
    public func start(_ entry: LabCatalog.Entry, variant: String) async throws {
        guard entry.manifest.variants[variant] != nil else {
            throw ConsoleRequestError(
                status: 400, parameter: "variant",
                "\(entry.manifest.id) has no variant '\(variant)' (variants: \(entry.manifest.variantNames.joined(separator: ", ")))")
        }
        if let current = running {
            running = nil
            await current.down()
        }
        var options = baseOptions
        options.variant = variant
        let lab = try await LabRuntime.up(entry, options: options)
        running = lab
        timeline.record("started \(entry.manifest.id) (\(variant))", source: "console")
        writeEndpoints(lab)
    }

    /// Cancels what runs in the background and stops the running lab (the console keeps serving).
    public func stop() async {
        background?.cancel()
        await stopLab()
    }

    /// Stops the running lab, if any.
    func stopLab() async {
        if let current = running {
            running = nil
            await current.down()
        }
    }

    func writeEndpoints(_ lab: RunningLab) {
        var endpoints = lab.endpoints
        endpoints.console = consoleURL
        try? endpoints.write(to: stateDirectory)
    }

    // MARK: Controls

    /// Runs `work` in the background as the one control in progress; a failure is kept for the page.
    func startBackground(_ what: String, _ work: @escaping @Sendable () async throws -> Void) throws(ConsoleRequestError) {
        if let busy { throw ConsoleRequestError(status: 409, "the console is busy: \(busy)") }
        busy = what
        lastError = nil
        background = Task {
            do {
                try await work()
            } catch {
                self.fail("\(what) failed: \(error)")
            }
            self.finishBackground()
        }
    }

    private func fail(_ message: String) {
        lastError = message
        timeline.record(message, source: "console", error: message)
    }

    private func finishBackground() {
        busy = nil
        scenarioProgress = nil
        background = nil
    }

    /// Switch variant: a fresh start of the same lab, as `labctl compare` starts each variant.
    public func switchVariant(_ variant: String) throws(ConsoleRequestError) {
        guard let lab = running else { throw ConsoleRequestError(status: 409, "no lab is running") }
        guard let entry = try? catalog.resolve(lab.manifest.id) else {
            throw ConsoleRequestError(status: 404, "\(lab.manifest.id) is not in the catalog")
        }
        guard entry.manifest.variants[variant] != nil else {
            throw ConsoleRequestError(
                status: 400, parameter: "variant",
                "\(entry.manifest.id) has no variant '\(variant)' (variants: \(entry.manifest.variantNames.joined(separator: ", ")))")
        }
        try startBackground("switching \(entry.manifest.id) to \(variant)") { try await self.start(entry, variant: variant) }
    }

    /// Starts another lab of the catalog.
    public func startLab(_ name: String, variant: String?) throws(ConsoleRequestError) {
        let entry: LabCatalog.Entry
        do { entry = try catalog.resolve(name) } catch { throw ConsoleRequestError(status: 404, parameter: "lab", "\(error)") }
        let variant = variant ?? entry.manifest.variantNames.first ?? "before"
        try startBackground("starting \(entry.manifest.id) (\(variant))") { try await self.start(entry, variant: variant) }
    }

    /// Plays the lab's scenario against the running lab (in `variant`: switching first if it differs),
    /// then evaluates its measurements.
    public func runScenario(variant: String?, durationScale: Double) throws(ConsoleRequestError) {
        guard let lab = running else { throw ConsoleRequestError(status: 409, "no lab is running") }
        guard lab.manifest.scenario != nil else { throw ConsoleRequestError(status: 400, "\(lab.manifest.id) has no scenario") }
        guard durationScale > 0, durationScale <= 10 else {
            throw ConsoleRequestError.badParameter("scale", String(durationScale), expected: "a number in (0, 10]")
        }
        let variant = variant ?? lab.variant
        guard lab.manifest.variants[variant] != nil else {
            throw ConsoleRequestError(status: 400, parameter: "variant", "\(lab.manifest.id) has no variant '\(variant)'")
        }
        let entry = try? catalog.resolve(lab.manifest.id)
        try startBackground("running the scenario (\(variant))") {
            var target = lab
            if variant != lab.variant, let entry {
                try await self.start(entry, variant: variant)
                guard let fresh = await self.running else { return }
                target = fresh
            }
            try await self.playScenario(on: target, durationScale: durationScale)
        }
    }

    private func playScenario(on lab: RunningLab, durationScale: Double) async throws {
        let manifest = lab.manifest
        if let url = lab.prometheusURL {
            try await LabComparison.waitForFirstScrape(PrometheusClient(baseURL: url), targets: lab.scrapeTargetCount, log: baseOptions.log)
        }
        // The planned phases, so the charts show the bands while the run is under way.
        let start = Date().timeIntervalSince1970
        var at = start
        var planned: [ConsoleTimeline.Phase] = []
        for phase in manifest.scenario?.phases ?? [] {
            planned.append(.init(name: phase.name, start: at, end: at + phase.durationSeconds * durationScale))
            at += phase.durationSeconds * durationScale
        }
        timeline.setPhases(planned)
        timeline.record("scenario started (\(lab.variant))", source: "scenario")
        let runner = ScenarioRunner(
            manifest: manifest, lab: lab, durationScale: durationScale,
            progress: { line in Task { await self.setProgress(line) } },
            log: { line in Task { await self.recordScenarioAction(line) } })
        let run = try await runner.run(variant: lab.variant)
        timeline.setPhases(run.phases.map { .init(name: $0.name, start: $0.start, end: $0.end) })
        let prometheus = lab.prometheusURL.map { PrometheusClient(baseURL: $0) }
        try await LabComparison.settle(prometheus, targets: lab.scrapeTargetCount, after: run.window(nil)?.end ?? start, spans: true)
        let values = await MeasurementEvaluator(prometheus: prometheus, traces: store).evaluateAll(manifest.measurements, in: run)
        lastRun = (manifest.id, lab.variant, values)
        timeline.record("scenario finished (\(lab.variant))", source: "scenario")
    }

    private func setProgress(_ line: String) { scenarioProgress = line }

    /// The runner logs `"  12.0s  fault on backend: …"`; the marker goes at the time it happened.
    private func recordScenarioAction(_ line: String) {
        let text = line.trimmingCharacters(in: .whitespaces)
        let description =
            text.split(separator: " ", maxSplits: 1).dropFirst().first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? text
        let failed = description.range(of: " FAILED: ")
        timeline.record(
            failed.map { String(description[..<$0.lowerBound]) } ?? description, source: "scenario",
            error: failed.map { String(description[$0.upperBound...]) })
    }

    /// Runs `labctl compare` for the running lab (each variant on a fresh start), keeps the result for
    /// the compare page, then starts the lab again in the variant it ran before.
    public func runComparison(durationScale: Double) throws(ConsoleRequestError) {
        guard let lab = running, let entry = try? catalog.resolve(lab.manifest.id) else {
            throw ConsoleRequestError(status: 409, "no lab is running")
        }
        let minimum = entry.manifest.test.minDurationScale
        guard durationScale >= minimum - 1e-9, durationScale <= 10 else {
            throw ConsoleRequestError.badParameter(
                "scale", Comparison.format(durationScale),
                expected:
                    "\(Comparison.format(minimum)) to 10: in a shorter run the lab's effect has too little time to build up (lab.yaml test.min_duration_scale)"
            )
        }
        let variant = lab.variant
        let options = baseOptions
        try startBackground("comparing the variants of \(entry.manifest.id)") {
            await self.stopLab()
            await self.record("comparison started (\(entry.manifest.variantNames.joined(separator: " vs ")))")
            do {
                let data = try await LabComparison(
                    entry: entry, options: options, durationScale: durationScale,
                    progress: { line in Task { await self.setProgress(line) } }
                ).run()
                let report = try LabComparison.writeReport(data, stateDirectory: options.stateDirectory)
                try ComparisonArchive.write(data, report: report, stateDirectory: options.stateDirectory)
                await self.record(
                    "comparison finished: "
                        + (data.comparison.holds ? "every expectation holds" : "\(data.comparison.failedCount) expectation(s) fail"))
            } catch {
                await self.record("comparison failed: \(error)")
            }
            try await self.start(entry, variant: variant)
        }
    }

    private func record(_ description: String) { timeline.record(description, source: "console") }

    /// Sets or clears a fault on a service through its admin API (as a scenario action would).
    public func fault(service: String, fault: JSONValue?) async throws {
        guard let lab = running else { throw ConsoleRequestError(status: 409, "no lab is running") }
        guard !lab.serviceURLs(service).isEmpty else {
            throw ConsoleRequestError(
                status: 404, parameter: "service",
                "no service '\(service)' in \(lab.manifest.id) (services: \(lab.instances.map(\.name).joined(separator: ", ")))")
        }
        let kind: ActionSpec.Kind = fault.map { .setFault(service: service, fault: $0) } ?? .clearFault(service: service)
        let what = ActionExecutor.describe(kind)
        do {
            try await ActionExecutor(lab: lab).perform(kind)
            timeline.record(what, source: "console")
        } catch {
            timeline.record(what, source: "console", error: "\(error)")
            throw ConsoleRequestError(status: 502, "\(what) failed: \(error)")
        }
    }

    /// A process control that `labctl kill|stop|cont|restart` asked the supervisor for (source `cli`).
    public func recordControl(_ what: String, error: String?) {
        timeline.record(what, source: "cli", error: error)
    }

    /// kill / stop / cont / restart, as `labctl kill|stop|cont|restart` do.
    public func signal(_ verb: ControlChannel.Verb, service: String) async throws {
        guard let lab = running else { throw ConsoleRequestError(status: 409, "no lab is running") }
        if busy != nil, verb == .restart { throw ConsoleRequestError(status: 409, "the console is busy: \(busy!)") }
        do {
            _ = try lab.instances(named: service)
        } catch {
            throw ConsoleRequestError(status: 404, parameter: "service", "\(error)")
        }
        let what = "\(verb.rawValue) \(service)"
        do {
            switch verb {
            case .kill: try await lab.kill(service)
            case .stop: try await lab.stop(service)
            case .cont: try await lab.cont(service)
            case .restart: try await lab.restart(service)
            }
            timeline.record(what, source: "console")
        } catch {
            timeline.record(what, source: "console", error: "\(error)")
            throw ConsoleRequestError(status: 500, "\(what) failed: \(error)")
        }
    }

    // MARK: What the page shows

    func stateJSON() -> JSONValue {
        var object: [String: JSONValue] = [
            "busy": busy.map(JSONValue.string) ?? .null,
            "error": lastError.map(JSONValue.string) ?? .null,
            "progress": scenarioProgress.map(JSONValue.string) ?? .null,
            "timeline": timeline.json(),
            "now": .number(Date().timeIntervalSince1970),
        ]
        guard let lab = running else {
            object["lab"] = .null
            return .object(object)
        }
        let manifest = lab.manifest
        object["lab"] = .object([
            "id": .string(manifest.id), "week": .number(Double(manifest.week)), "slug": .string(manifest.slug),
            "title": .string(manifest.title), "variant": .string(lab.variant),
            "variants": .array(
                manifest.variantNames.map { name in
                    .object(["name": .string(name), "description": .string(manifest.variants[name]?.description ?? "")])
                }),
            "services": .array(
                lab.instances.map { instance in
                    .object([
                        "name": .string(instance.name), "role": .string(instance.role), "url": .string(instance.url),
                        "state": .string(Self.processState(lab.process(of: instance.name))),
                    ])
                }),
            "prometheus": lab.prometheusURL.map(JSONValue.string) ?? .null,
            "hasScenario": .bool(manifest.scenario != nil),
            "scenarioSeconds": .number(manifest.scenario?.totalSeconds ?? 0),
        ])
        if let lastRun, lastRun.lab == manifest.id {
            object["lastRun"] = .object([
                "variant": .string(lastRun.variant),
                "measurements": .array(
                    manifest.measurements.map { spec in
                        let value = lastRun.values[spec.name] ?? .missing("not measured")
                        var row: [String: JSONValue] = [
                            "name": .string(spec.name), "text": .string(Comparison.format(value, unit: spec.unit)),
                        ]
                        if case .missing(let why) = value { row["missing"] = .string(why) }
                        return .object(row)
                    }),
            ])
        }
        return .object(object)
    }

    /// `running`, `stopped` (SIGSTOP), or `down` (killed, exited).
    static func processState(_ process: ChildProcess?) -> String {
        guard let process, process.isRunning, let entry = ProcessTable.entry(process.pid) else { return "down" }
        return entry.state == "T" || entry.state == "t" ? "stopped" : "running"
    }
}
