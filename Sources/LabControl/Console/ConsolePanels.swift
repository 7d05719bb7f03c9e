import Foundation
import LabKit

/// The lab page's live charts: each dashboard panel of the running lab as a Prometheus `query_range`
/// over the window the page shows, and the latency panels' exemplars.
///
/// Bounded cost: one refresh asks Prometheus one `query_range` per panel plus one `query_exemplars`
/// for all latency panels together, and the answer is shared for `freshness` by every page that asks
/// for the same window (ten open tabs cost what one does). At most `maxPoints` points per series,
/// `maxSeries` series per panel and `maxExemplars` exemplars per panel reach the browser.
actor ConsolePanels {
    let lab: ConsoleLab
    static let freshness: Duration = .milliseconds(1500)
    static let maxPoints = 300
    static let maxSeries = 8
    static let maxExemplars = 300

    private var cache: [String: (at: ContinuousClock.Instant, value: JSONValue)] = [:]
    private var inFlight: [String: Task<JSONValue, Never>] = [:]
    /// Every Prometheus query made, for the tests' check of the cost per refresh.
    private(set) var queriesMade = 0

    init(lab: ConsoleLab) { self.lab = lab }

    /// Panels over the last `seconds` seconds up to now.
    func panels(lastSeconds seconds: Double) async -> JSONValue {
        guard let running = await lab.running else { return ["panels": .array([]), "error": "no lab is running"] }
        // Rounded up to 5 s, so pages asking for nearly the same window share one answer.
        let window = (max(30, min(seconds, 6 * 3600)) / 5).rounded(.up) * 5
        let key = "\(running.manifest.id)/\(running.variant)/\(Int(window))"
        if let hit = cache[key], ContinuousClock.now - hit.at < Self.freshness { return hit.value }
        if let pending = inFlight[key] { return await pending.value }
        let task = Task { await self.compute(running, window: window) }
        inFlight[key] = task
        let value = await task.value
        inFlight[key] = nil
        cache = [key: (ContinuousClock.now, value)]
        return value
    }

    private func count(_ n: Int) { queriesMade += n }

    private func compute(_ running: RunningLab, window: Double) async -> JSONValue {
        let panels = running.manifest.dashboard
        guard let url = running.prometheusURL else { return ["panels": .array([]), "error": "the lab runs no Prometheus"] }
        let prometheus = PrometheusClient(baseURL: url)
        let end = Date().timeIntervalSince1970
        let start = end - window
        let step = max(1, (window / Double(Self.maxPoints)).rounded(.up))

        // One query_range per panel, all at once.
        var results = [JSONValue](repeating: .null, count: panels.count)
        await withTaskGroup(of: (Int, JSONValue).self) { group in
            for (index, panel) in panels.enumerated() {
                group.addTask {
                    let query = Self.concrete(panel.promql)
                    do {
                        let series = try await prometheus.range(query, start: start, end: end, step: step)
                        return (index, .object(["series": .array(series.prefix(Self.maxSeries).map(Self.seriesJSON))]))
                    } catch {
                        return (index, .object(["series": .array([]), "error": .string("\(error)")]))
                    }
                }
            }
            for await (index, value) in group { results[index] = value }
        }
        var made = panels.count

        // One query_exemplars for every latency panel, each exemplar given to the panels it belongs to.
        let selectors = panels.map { Self.isLatencyPanel($0) ? SeriesSelector.buckets(in: $0.promql) : [] }
        var exemplarsByPanel = [[PrometheusClient.Exemplar]](repeating: [], count: panels.count)
        let latencyQueries = panels.indices.filter { !selectors[$0].isEmpty }.map { Self.concrete(panels[$0].promql) }
        if !latencyQueries.isEmpty {
            made += 1
            if let exemplars = try? await prometheus.exemplars(latencyQueries.joined(separator: " or "), start: start, end: end) {
                for exemplar in exemplars {
                    for index in panels.indices where selectors[index].contains(where: { $0.matches(exemplar.seriesLabels) }) {
                        exemplarsByPanel[index].append(exemplar)
                    }
                }
            }
        }
        count(made)

        let timeline = await lab.timeline.json(from: start)
        let out: [JSONValue] = panels.enumerated().map { index, panel in
            guard case .object(var object) = results[index] else { return .null }
            object["title"] = .string(panel.title)
            object["unit"] = .string(panel.unit)
            object["description"] = panel.description.map(JSONValue.string) ?? .null
            object["promql"] = .string(panel.promql)
            object["latency"] = .bool(Self.isLatencyPanel(panel))
            object["exemplars"] = .array(
                exemplarsByPanel[index].sorted { $0.time > $1.time }.prefix(Self.maxExemplars).map { e in
                    .object(["t": .number(e.time), "v": .number(e.value), "traceID": .string(e.traceID)])
                })
            return .object(object)
        }
        return .object([
            "panels": .array(out), "start": .number(start), "end": .number(end), "step": .number(step),
            "queries": .number(Double(made)), "timeline": timeline,
            "lab": .string(running.manifest.id), "variant": .string(running.variant),
        ])
    }

    /// The panel's query as Prometheus runs it (Grafana's `$__rate_interval` and the lab's `$window`).
    static func concrete(_ promql: String) -> String {
        promql.replacingOccurrences(of: "$__rate_interval", with: "5s").replacingOccurrences(of: "$window", with: "5s")
    }

    /// A quantile over a histogram: its points are request durations, so exemplars belong on it.
    static func isLatencyPanel(_ panel: DashboardPanel) -> Bool {
        panel.promql.contains("histogram_quantile") && panel.promql.contains("_bucket")
    }

    static func seriesJSON(_ series: PrometheusClient.Series) -> JSONValue {
        let name =
            series.labels.isEmpty ? "" : series.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return .object([
            "name": .string(name),
            "points": .array(series.points.map { .array([.number($0.time), $0.value.isFinite ? .number($0.value) : .null]) }),
        ])
    }
}
