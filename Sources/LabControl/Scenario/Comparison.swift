import Foundation

/// The outcome of `labctl compare`: every measurement for every variant, and a verdict per
/// expectation. `holds` is true only when every expectation held.
public struct Comparison: Sendable {
    public var lab: LabManifest
    public var variants: [String]
    /// measurement name → variant → value.
    public var values: [String: [String: MeasurementEvaluator.Value]]
    public var verdicts: [Verdict]
    public var runs: [ScenarioRun]

    public struct Verdict: Sendable, Equatable {
        public var measurement: String
        public var check: String
        public var holds: Bool
        /// `after = 12.0 < before / 3 = 40.1`, or why it could not be decided.
        public var explanation: String
        public var why: String?
        /// It names a variant that was deliberately not run; it neither holds nor fails.
        public var skipped = false

        /// SKIP, PASS or FAIL, as the table and the report show it.
        public var mark: String { skipped ? "SKIP" : holds ? "PASS" : "FAIL" }
    }

    /// True when every expectation that was decided held (skipped ones do not count).
    public var holds: Bool { verdicts.allSatisfy { $0.holds || $0.skipped } }
    /// Expectations decided (not skipped), and of those the ones that do not hold.
    public var decidedCount: Int { verdicts.count - skippedCount }
    public var failedCount: Int { verdicts.filter { !$0.holds && !$0.skipped }.count }
    public var skippedCount: Int { verdicts.filter(\.skipped).count }

    /// - Parameter skipping: variants deliberately not run. Expectations naming one are skipped;
    ///   a variant that should have run but has no values still fails its expectations.
    public init(
        lab: LabManifest, runs: [ScenarioRun], values: [String: [String: MeasurementEvaluator.Value]],
        skipping: Set<String> = []
    ) {
        self.lab = lab
        self.runs = runs
        self.variants = runs.map(\.variant)
        self.values = values
        self.verdicts = lab.expectations.map { expectation in
            let notRun = expectation.parsed.variants.intersection(skipping).sorted()
            guard notRun.isEmpty else {
                return Verdict(
                    measurement: expectation.measurement, check: expectation.check, holds: false,
                    explanation: "skipped — \(notRun.joined(separator: ", ")) not run (--variants)",
                    why: expectation.why, skipped: true)
            }
            return Self.verdict(expectation, values[expectation.measurement] ?? [:])
        }
        if let panels = Self.panelVerdict(lab, runs) { verdicts.append(panels) }
        if let truth = PanelTruth.verdict(runs) { verdicts.append(truth) }
    }

    /// A platform check beside the lab's own expectations: every dashboard panel shows data in at
    /// least one variant's run (a panel empty in all of them has a wrong query, or shows a metric
    /// nothing exports). Nil when there are no runs or no panels.
    static func panelVerdict(_ lab: LabManifest, _ runs: [ScenarioRun]) -> Verdict? {
        guard !runs.isEmpty, !lab.dashboard.isEmpty else { return nil }
        let empty = lab.dashboard.map(\.title).filter { title in runs.allSatisfy { $0.panelsWithoutData.contains(title) } }
        return Verdict(
            measurement: "dashboard", check: "every panel shows data", holds: empty.isEmpty,
            explanation: empty.isEmpty
                ? "\(lab.dashboard.count) panels with data"
                : "no data in any variant for: \(empty.map { "'\($0)'" }.joined(separator: ", ")) (fix their PromQL in lab.yaml)",
            why: "a panel that never shows anything teaches nothing")
    }

    static func verdict(_ expectation: ExpectationSpec, _ byVariant: [String: MeasurementEvaluator.Value]) -> Verdict {
        var numbers: [String: Double] = [:]
        var missing: [String] = []
        for variant in expectation.parsed.variants.sorted() {
            switch byVariant[variant] {
            case .number(let v)?: numbers[variant] = v
            case .missing(let why)?: missing.append("\(variant): \(why)")
            case nil: missing.append("\(variant): not run")
            }
        }
        guard missing.isEmpty, let result = expectation.parsed.evaluate(numbers) else {
            return Verdict(
                measurement: expectation.measurement, check: expectation.check, holds: false,
                explanation: "no value — " + missing.joined(separator: "; "), why: expectation.why)
        }
        func side(_ term: ExpectationExpression.Term, _ value: Double) -> String {
            if case .number = term { return format(value) }
            return "\(term) = \(format(value))"
        }
        let left = side(expectation.parsed.left, result.left)
        let right = side(expectation.parsed.right, result.right)
        var explanation = "\(left) \(expectation.parsed.comparison.rawValue) \(right)"
        if !result.holds {
            // By how much it failed: the gap between the two sides, relative to the right side.
            let gap = result.right == 0 ? abs(result.left) : abs(result.left - result.right) / abs(result.right)
            explanation += String(format: " does not hold (off by %.0f%%)", gap * 100)
        }
        return Verdict(
            measurement: expectation.measurement, check: expectation.check, holds: result.holds,
            explanation: explanation, why: expectation.why)
    }

    /// A number as a person reads it: 3 significant digits, no exponent noise.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 1000 || magnitude.rounded() == magnitude { return String(format: "%.0f", value) }
        if magnitude >= 10 { return String(format: "%.1f", value) }
        if magnitude >= 0.01 { return String(format: "%.3f", value) }
        return String(format: "%.2g", value)
    }

    /// A measurement's value with its unit, e.g. `412 ms`, `37.5%`, `120 req/s`.
    public static func format(_ value: MeasurementEvaluator.Value, unit: String?) -> String {
        guard case .number(let v) = value else { return "—" }
        switch unit {
        case "s", "seconds": return v < 1 ? format(v * 1000) + " ms" : format(v) + " s"
        case "ratio", "percent", "percentunit": return format(v * 100) + "%"
        case let unit?: return format(v) + " " + unit
        case nil: return format(v)
        }
    }

    /// The comparison table: one row per measurement, one column per variant, then the change
    /// from the first variant to the last; then one line per expectation.
    public func table() -> String {
        var rows: [[String]] = [["measurement"] + variants + (variants.count >= 2 ? ["change"] : [])]
        for spec in lab.measurements {
            let byVariant = values[spec.name] ?? [:]
            var row = [spec.name]
            for variant in variants { row.append(Self.format(byVariant[variant] ?? .missing(""), unit: spec.unit)) }
            if variants.count >= 2, let first = byVariant[variants.first!]?.number, let last = byVariant[variants.last!]?.number {
                row.append(first == 0 ? (last == 0 ? "=" : "new") : String(format: "%+.0f%%", (last - first) / abs(first) * 100))
            } else if variants.count >= 2 {
                row.append("")
            }
            rows.append(row)
        }
        var out = Self.render(rows)
        out += "\n"
        for verdict in verdicts {
            out += "  \(verdict.mark)  \(verdict.measurement): \(verdict.check)    (\(verdict.explanation))\n"
        }
        let skipped = skippedCount
        if holds {
            out += skipped == 0 ? "every expectation holds\n" : "every expectation that was run holds (\(skipped) skipped)\n"
        } else {
            out += "\(failedCount) of \(decidedCount) expectations do not hold" + (skipped == 0 ? "\n" : " (\(skipped) skipped)\n")
        }
        return out
    }

    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.enumerated().map { index, row in
            let line = row.enumerated().map { column, cell in
                column == 0
                    ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
            return index == 0 ? line + "\n" + String(repeating: "-", count: line.count) : line
        }.joined(separator: "\n") + "\n"
    }

    /// The same results as JSON (for `--json`).
    public func json() -> [String: Any] {
        func value(_ v: MeasurementEvaluator.Value?) -> Any {
            switch v {
            case .number(let n)?: n.isFinite ? n : "\(n)"
            case .missing(let why)?: ["missing": why]
            case nil: NSNull()
            }
        }
        return [
            "lab": lab.slug,
            "week": lab.week,
            "variants": variants,
            "holds": holds,
            "measurements": lab.measurements.map { spec in
                [
                    "name": spec.name, "unit": spec.unit ?? "", "phase": spec.phase ?? "",
                    "values": Dictionary(uniqueKeysWithValues: variants.map { ($0, value(values[spec.name]?[$0])) }),
                ] as [String: Any]
            },
            "expectations": verdicts.map {
                [
                    "measurement": $0.measurement, "check": $0.check, "holds": $0.holds, "skipped": $0.skipped,
                    "explanation": $0.explanation,
                ] as [String: Any]
            },
            "runs": runs.map { run in
                [
                    "variant": run.variant,
                    "phases": run.phases.map { ["name": $0.name, "start": $0.start, "end": $0.end] },
                    "actions": run.actions.map {
                        ["offset": $0.offset, "description": $0.description, "error": $0.error ?? NSNull()] as [String: Any]
                    },
                    "panels_without_data": run.panelsWithoutData,
                    "panel_readings": run.panelReadings.map(\.json),
                    "timings": run.timings.map { ["step": $0.step, "seconds": ($0.seconds * 1000).rounded() / 1000] as [String: Any] },
                ] as [String: Any]
            },
            "panel_truth": PanelTruth.findings(self),
        ]
    }
}
