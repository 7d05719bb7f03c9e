import Foundation

/// What one run of a chaos experiment found, with the numbers.
public struct ChaosReport: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// Every check held before the fault and at every poll during it.
        case held
        /// A check broke during the fault; the experiment did not abort (`abort: {when: never}`).
        case broken
        /// A check broke, the abort fired and the fault was rolled back early.
        case aborted
        /// The hypothesis did not hold before the fault: nothing was injected.
        case notSteady = "not_steady"

        /// `labctl chaos`'s exit status: 0 held, 2 aborted, 3 broken, 4 not steady (1: an error).
        public var exitStatus: Int32 {
            switch self {
            case .held: 0
            case .aborted: 2
            case .broken: 3
            case .notSteady: 4
            }
        }
    }

    /// One check's numbers: before the fault, the worst poll during it, and at the abort.
    public struct Reading: Sendable, Codable, Equatable {
        public var check: String
        public var bound: String
        public var steady: Double?
        public var worst: Double?
        public var atAbort: Double?
        /// Polls during the fault that saw this check broken.
        public var brokenPolls: Int
    }

    public var experiment: String
    public var fault: String
    public var outcome: Outcome
    /// How long the fault was meant to stay in.
    public var durationSeconds: Double
    /// How long it stayed in (injection to rollback).
    public var faultSeconds: Double
    /// From the injection to the first poll that saw the hypothesis broken.
    public var brokenAfterSeconds: Double?
    /// From the injection to the rollback the abort fired.
    public var abortSeconds: Double?
    public var polls: Int
    public var readings: [Reading]
    /// The rollback failed: the fault may still be in.
    public var rollbackError: String?

    public var hypothesisBroken: Bool { outcome == .broken || outcome == .aborted }

    /// The statistics a `chaos:` measurement can name.
    public static let statistics = [
        "held", "hypothesis_broken", "aborted", "abort_seconds", "broken_after_seconds", "fault_seconds", "steady", "worst:",
    ]

    /// A statistic as a number, or why there is none (`worst:<check>` is that check's worst poll).
    public func value(of statistic: String) -> Result<Double, ChaosStatisticError> {
        func flag(_ b: Bool) -> Result<Double, ChaosStatisticError> { .success(b ? 1 : 0) }
        switch statistic {
        case "held": return flag(outcome == .held)
        case "hypothesis_broken": return flag(hypothesisBroken)
        case "aborted": return flag(outcome == .aborted)
        case "steady": return flag(outcome != .notSteady)
        case "fault_seconds": return .success(faultSeconds)
        case "abort_seconds":
            return abortSeconds.map { .success($0) } ?? .failure(.init("\(experiment) did not abort (\(outcome.rawValue))"))
        case "broken_after_seconds":
            return brokenAfterSeconds.map { .success($0) }
                ?? .failure(.init("\(experiment): the hypothesis never broke (\(outcome.rawValue))"))
        default:
            if statistic.hasPrefix("worst:") {
                let name = String(statistic.dropFirst("worst:".count))
                guard let reading = readings.first(where: { $0.check == name }) else {
                    return .failure(.init("\(experiment) has no check '\(name)'"))
                }
                return reading.worst.map { .success($0) } ?? .failure(.init("\(experiment): no reading of '\(name)' during the fault"))
            }
            return .failure(.init("unknown chaos statistic '\(statistic)'"))
        }
    }

    /// The report as `labctl chaos` prints it.
    public var text: String {
        var lines = ["experiment \(experiment): \(fault) for \(ChaosFormat.seconds(durationSeconds))"]
        let verdict: String
        switch outcome {
        case .held: verdict = "HYPOTHESIS HELD: every check held at all \(polls) polls during the fault"
        case .broken: verdict = "HYPOTHESIS BROKEN after \(ChaosFormat.seconds(brokenAfterSeconds ?? 0)) (no abort: the fault stayed in)"
        case .aborted:
            verdict =
                "HYPOTHESIS BROKEN after \(ChaosFormat.seconds(brokenAfterSeconds ?? 0)); ABORTED: rolled back after \(ChaosFormat.seconds(abortSeconds ?? 0)) of \(ChaosFormat.seconds(durationSeconds))"
        case .notSteady: verdict = "NOT IN STEADY STATE before the fault: nothing injected"
        }
        lines.append(verdict)
        if outcome != .notSteady {
            lines.append("fault in for \(ChaosFormat.seconds(faultSeconds))" + (rollbackError.map { "; ROLLBACK FAILED: \($0)" } ?? ""))
        }
        let header = ["check", "bound", "before", "worst during", "at abort", "broken polls"]
        let rows = readings.map {
            [
                $0.check, $0.bound, ChaosFormat.number($0.steady), ChaosFormat.number($0.worst),
                $0.atAbort.map { ChaosFormat.number($0) } ?? "-", "\($0.brokenPolls)/\(polls)",
            ]
        }
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        for row in [header] + rows {
            lines.append(
                "  " + row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}

public struct ChaosStatisticError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension ChaosFormat {
    static func seconds(_ value: Double) -> String { String(format: "%.1fs", value) }
}
