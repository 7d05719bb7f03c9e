import Foundation

/// Runs a chaos experiment against a running lab:
/// 1. measures the steady-state hypothesis; if it does not hold, injects nothing (`not_steady`);
/// 2. injects the fault through the scenario actions (`ActionExecutor`: real signals, the fault
///    proxy's API, a service's fault API);
/// 3. measures the hypothesis every `poll` until `duration` is over, keeping each check's worst value;
/// 4. once it has been broken for `tolerance` polls in a row (the hypothesis is broken), rolls the
///    fault back at once when the abort is on (aborted);
///    otherwise rolls it back at the end (held, or broken when the abort is off).
/// The rollback happens however the run ends (an error, a cancelled scenario).
public struct ChaosRunner: Sendable {
    public let lab: any LabTarget
    public let prometheus: PrometheusClient
    /// Called with each step (injection, a broken poll, the abort, the rollback).
    public let log: (@Sendable (String) -> Void)?

    public init(lab: any LabTarget, prometheus: PrometheusClient, log: (@Sendable (String) -> Void)? = nil) {
        self.lab = lab
        self.prometheus = prometheus
        self.log = log
    }

    public func run(_ experiment: ChaosExperiment) async throws -> ChaosReport {
        let executor = ActionExecutor(lab: lab)
        let clock = ContinuousClock()
        var readings = experiment.steadyState.map {
            ChaosReport.Reading(check: $0.name, bound: $0.boundText, steady: nil, worst: nil, atAbort: nil, brokenPolls: 0)
        }
        var report = ChaosReport(
            experiment: experiment.name, fault: ActionExecutor.describe(experiment.fault.inject), outcome: .held,
            durationSeconds: experiment.durationSeconds, faultSeconds: 0, brokenAfterSeconds: nil, abortSeconds: nil,
            polls: 0, readings: [], rollbackError: nil)

        // 1. The steady state, before anything is touched.
        let steady = await measure(experiment)
        for (index, value) in steady.enumerated() { readings[index].steady = value }
        let unsteady = experiment.steadyState.indices.filter { !experiment.steadyState[$0].holds(steady[$0]) }
        guard unsteady.isEmpty else {
            log?(
                "chaos \(experiment.name): not in steady state: "
                    + unsteady.map {
                        "\(experiment.steadyState[$0].name) = \(ChaosFormat.number(steady[$0])) (\(experiment.steadyState[$0].boundText))"
                    }.joined(separator: ", "))
            report.outcome = .notSteady
            report.readings = readings
            return report
        }

        // 2. The fault.
        try await executor.perform(experiment.fault.inject)
        let injected = clock.now
        log?("chaos \(experiment.name): injected \(report.fault)")

        // 3. Poll the hypothesis until the duration is over or the abort fires.
        var brokenInARow = 0
        var pollError: Error?
        do {
            var next = injected
            while true {
                next = next + .lab(seconds: experiment.pollSeconds)
                if next > injected + .lab(seconds: experiment.durationSeconds) { break }
                try await clock.sleep(until: next)
                let values = await measure(experiment)
                report.polls += 1
                var broken: [String] = []
                for (index, check) in experiment.steadyState.enumerated() {
                    let value = values[index]
                    if let value, !value.isNaN, readings[index].worst.map({ check.badness(value) > check.badness($0) }) ?? true {
                        readings[index].worst = value
                    }
                    if !check.holds(value) {
                        readings[index].brokenPolls += 1
                        broken.append("\(check.name) = \(ChaosFormat.number(value)) (\(check.boundText))")
                    }
                }
                let elapsed = (clock.now - injected).seconds
                guard !broken.isEmpty else {
                    brokenInARow = 0
                    continue
                }
                brokenInARow += 1
                log?(
                    String(
                        format: "chaos %@: %.1fs: %@ (%ld of %ld polls in a row)", experiment.name, elapsed, broken.joined(separator: ", "),
                        brokenInARow, experiment.tolerance))
                guard brokenInARow >= experiment.tolerance else { continue }
                if report.brokenAfterSeconds == nil { report.brokenAfterSeconds = elapsed }
                if experiment.abort.onBreak {
                    for index in readings.indices { readings[index].atAbort = values[index] }
                    report.outcome = .aborted
                    break
                }
            }
        } catch {
            pollError = error
        }

        // 4. Roll back, whatever happened (also when the task was cancelled).
        do {
            try await Task { try await executor.perform(experiment.fault.rollback) }.value
        } catch {
            report.rollbackError = "\(error)"
        }
        report.faultSeconds = (clock.now - injected).seconds
        if report.outcome == .aborted { report.abortSeconds = report.faultSeconds }
        if report.outcome == .held, report.brokenAfterSeconds != nil { report.outcome = .broken }
        report.readings = readings
        log?(
            "chaos \(experiment.name): \(report.outcome.rawValue); rolled back (\(ActionExecutor.describe(experiment.fault.rollback))) after \(ChaosFormat.seconds(report.faultSeconds))"
                + (report.rollbackError.map { " — ROLLBACK FAILED: \($0)" } ?? ""))
        if let pollError { throw pollError }
        return report
    }

    /// Every check's value now (nil: no data, an error, or more than one series).
    func measure(_ experiment: ChaosExperiment) async -> [Double?] {
        await withTaskGroup(of: (Int, Double?).self) { group in
            for (index, check) in experiment.steadyState.enumerated() {
                group.addTask {
                    guard let samples = try? await prometheus.instant(check.promql), samples.count == 1 else { return (index, nil) }
                    return (index, samples[0].value)
                }
            }
            var values = [Double?](repeating: nil, count: experiment.steadyState.count)
            for await (index, value) in group { values[index] = value }
            return values
        }
    }
}
