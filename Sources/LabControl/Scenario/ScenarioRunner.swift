import Foundation
import Synchronization

/// Plays a lab's scenario against a running lab: the load generator's phases, and each timed action
/// (faults, toxics, kills, knobs) at its offset, while recording a per-second timeline.
public struct ScenarioRunner: Sendable {
    public let manifest: LabManifest
    public let lab: any LabTarget
    public let durationScale: Double
    /// Called about once a second with a progress line (phase, bar, time left, rps, errors, p99).
    public let progress: (@Sendable (String) -> Void)?
    /// Called for every action as it happens (the run log).
    public let log: (@Sendable (String) -> Void)?

    public init(
        manifest: LabManifest, lab: any LabTarget, durationScale: Double = 1,
        progress: (@Sendable (String) -> Void)? = nil, log: (@Sendable (String) -> Void)? = nil
    ) {
        self.manifest = manifest
        self.lab = lab
        self.durationScale = durationScale
        self.progress = progress
        self.log = log
    }

    public struct ScenarioError: Error, CustomStringConvertible {
        public var description: String
    }

    public func run(variant: String) async throws -> ScenarioRun {
        guard let scenario = manifest.scenario else {
            throw ScenarioError(description: "\(manifest.slug): lab.yaml has no scenario")
        }
        guard let name = scenario.target ?? manifest.entryService?.role, let target = lab.loadTargetURL(name) else {
            throw ScenarioError(description: "\(manifest.slug): no running entry service or balancer to send load to")
        }

        if let problem = LabLimits.problem(withDurationScale: durationScale) { throw ScenarioError(description: problem) }
        let plan = LoadPlan(scenario: scenario, target: target, durationScale: durationScale)
        let generator = try LoadGenerator(plan: plan)
        let executor = ActionExecutor(lab: lab)
        let records = Shared<[ScenarioRun.ActionRecord]>([])
        let chaosReports = Shared<[ChaosReport]>([])
        let timeline = Shared<[ScenarioRun.TimelinePoint]>([])
        let scale = durationScale
        let log = self.log
        let progress = self.progress

        let startTime = Date().timeIntervalSince1970
        let clock = ContinuousClock()
        let start = clock.now

        let report = try await withThrowingTaskGroup(of: LoadReport?.self) { group in
            group.addTask { try await generator.run() }

            // Actions, in time order, each at its scaled offset.
            let actions = scenario.actions(for: manifest.variants[variant])
            if !actions.isEmpty {
                group.addTask {
                    for action in actions {
                        let offset = action.atSeconds * scale
                        try await clock.sleep(until: start + .lab(seconds: offset))
                        let kind = action.kind.scalingChaos(by: scale)
                        let what = ActionExecutor.describe(kind)
                        var record = ScenarioRun.ActionRecord(offset: offset, description: what, error: nil)
                        do {
                            log?(String(format: "%6.1fs  %@", offset, what))
                            let chaosLog: @Sendable (String) -> Void = { line in
                                log?(String(format: "%6.1fs  %@", (clock.now - start).seconds, line))
                            }
                            if let report = try await executor.performReporting(kind, log: chaosLog) {
                                chaosReports.withLock { $0.append(report) }
                                for line in report.text.split(separator: "\n") { log?("        " + line) }
                            }
                        } catch {
                            record.error = "\(error)"
                            log?(String(format: "%6.1fs  %@ FAILED: %@", offset, what, "\(error)"))
                        }
                        records.withLock { $0.append(record) }
                    }
                    return nil
                }
            }

            // The timeline and the live progress line, once a second until the load is done.
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    guard let snapshot = generator.snapshot() else { continue }
                    let point = ScenarioRun.TimelinePoint(
                        offset: (clock.now - start).seconds, phase: snapshot.phaseName,
                        sentPerSecond: snapshot.sentPerSecond, responsesPerSecond: snapshot.responsesPerSecond,
                        errorRate: snapshot.errorRate, p99Seconds: snapshot.p99?.seconds, inFlight: snapshot.inFlight)
                    timeline.withLock { $0.append(point) }
                    progress?(ProgressLine.format(snapshot))
                }
                return nil
            }

            var report: LoadReport?
            var remaining = actions.isEmpty ? 1 : 2 // the load and the actions end; the ticker is cancelled
            while remaining > 0, let result = try await group.next() {
                if let result { report = result }
                remaining -= 1
            }
            group.cancelAll()
            // No report: the run was cancelled (a process died) and the ticker ended first.
            guard let report else { throw CancellationError() }
            return report
        }

        // Phase windows from the plan's durations, anchored at the start.
        var windows: [ScenarioRun.PhaseWindow] = []
        var at = startTime
        for phase in plan.phases {
            windows.append(.init(name: phase.name, start: at, end: at + phase.duration.seconds))
            at += phase.duration.seconds
        }
        return ScenarioRun(
            variant: variant, startTime: startTime, phases: windows, load: report,
            actions: records.withLock { $0 }, timeline: timeline.withLock { $0 }, chaos: chaosReports.withLock { $0 })
    }
}

/// A value several tasks append to (the action log, the timeline).
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}
