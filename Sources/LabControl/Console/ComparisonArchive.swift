import Foundation
import LabKit

/// The latest comparison of each lab on this machine, kept as JSON in `<state>/results/<lab id>.json`:
/// what `labctl compare --json` prints, plus the charts the HTML report draws (the load generator's
/// timeline and the dashboard panels over each variant's run). The console's home page shows each
/// lab's last verdict from it, and its compare page draws it.
public enum ComparisonArchive {
    public static func directory(_ stateDirectory: URL) -> URL { stateDirectory.appendingPathComponent("results", isDirectory: true) }

    public static func file(lab id: String, stateDirectory: URL) -> URL {
        directory(stateDirectory).appendingPathComponent("\(id).json")
    }

    /// Writes `data` as the lab's latest comparison (replacing the previous one).
    @discardableResult
    public static func write(_ data: ReportData, report: URL?, stateDirectory: URL, at date: Date = Date()) throws -> URL {
        try FileManager.default.createDirectory(at: directory(stateDirectory), withIntermediateDirectories: true)
        let file = file(lab: data.comparison.lab.id, stateDirectory: stateDirectory)
        try encode(data, report: report, at: date).write(to: file, options: .atomic)
        return file
    }

    static func encode(_ data: ReportData, report: URL?, at date: Date) throws -> Data {
        var object = data.comparison.json()
        object["id"] = data.comparison.lab.id
        object["title"] = data.comparison.lab.title
        object["generated_at"] = date.timeIntervalSince1970
        object["report"] = report?.path ?? NSNull()
        object["holds_count"] = data.comparison.verdicts.filter(\.holds).count
        object["decided_count"] = data.comparison.decidedCount
        // Which chart shows each measurement: the compare page links every verdict to it.
        let panels = data.comparison.lab.dashboard
        object["measurement_charts"] = Dictionary(
            uniqueKeysWithValues: data.comparison.lab.measurements.map { ($0.name, chartKey(for: $0, panels: panels)) })
        var charts: [String: Any] = [:]
        for run in data.comparison.runs {
            let panels = (data.panels[run.variant] ?? []).map { panel -> [String: Any] in
                [
                    "title": panel.title, "unit": panel.unit,
                    "series": panel.series.prefix(8).map { series -> [String: Any] in
                        ["labels": series.labels, "points": series.points.compactMap { $0.value.isFinite ? [$0.time, $0.value] : nil }]
                    },
                ]
            }
            charts[run.variant] = [
                "start": run.startTime,
                "timeline": run.timeline.map { point -> [String: Any] in
                    [
                        "offset": point.offset, "phase": point.phase, "sent": point.sentPerSecond, "answered": point.responsesPerSecond,
                        "error_rate": point.errorRate, "p99": point.p99Seconds ?? NSNull(),
                    ]
                },
                "panels": panels,
            ]
        }
        object["charts"] = charts
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// `load:latency`, `load:throughput` or `load:errors` for the load generator's statistics; `panel:N` for
    /// the dashboard panel that shares the most metric names with a PromQL measurement; `none` otherwise.
    static func chartKey(for spec: MeasurementSpec, panels: [DashboardPanel]) -> String {
        switch spec.source {
        case .loadgen(let stat, _):
            if stat.hasPrefix("p") || stat == "mean" || stat == "max" { return "load:latency" }
            if ["requests", "throughput"].contains(stat) { return "load:throughput" }
            return "load:errors"
        case .promql(let query):
            let wanted = metricNames(query)
            let scored = panels.enumerated().map { ($0.offset, metricNames($0.element.promql).intersection(wanted).count) }
            guard let best = scored.max(by: { $0.1 < $1.1 }), best.1 > 0 else { return "none" }
            return "panel:\(best.0)"
        case .trace, .derived, .chaos: return "none"
        }
    }

    /// Identifiers followed by `{` or `[` in a PromQL expression, without histogram suffixes.
    static func metricNames(_ query: String) -> Set<String> {
        var out = Set<String>()
        let pattern = try! NSRegularExpression(pattern: "([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*[\\{\\[]")
        for match in pattern.matches(in: query, range: NSRange(query.startIndex..., in: query)) {
            guard let range = Range(match.range(at: 1), in: query) else { continue }
            var name = String(query[range])
            for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
            out.insert(name)
        }
        return out
    }

    /// The lab's latest comparison as stored, or nil.
    public static func latest(lab id: String, stateDirectory: URL) -> [String: Any]? {
        guard let data = try? Data(contentsOf: file(lab: id, stateDirectory: stateDirectory)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Raw bytes of the latest comparison (served as is).
    public static func latestData(lab id: String, stateDirectory: URL) -> Data? {
        try? Data(contentsOf: file(lab: id, stateDirectory: stateDirectory))
    }
}
