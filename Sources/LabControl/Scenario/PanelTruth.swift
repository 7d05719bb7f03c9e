import Foundation

/// Panels that tell the truth: a dashboard's latency quantile must agree with the durations it
/// counts, or a learner reading the panel learns a number that is only an artefact of the histogram's
/// bucket layout (`histogram_quantile` interpolates linearly inside the bucket that holds the quantile:
/// with buckets 250 and 500 ms, requests that all wait for a 300 ms timeout read 375 ms).
///
/// Which panels: `histogram_quantile(q, …)` over the entry service's `http_server_request_duration_seconds`
/// (`job` = the role the scenario sends load to), for the route of one of the scenario's requests or
/// for all routes. For each phase, the panel's query is evaluated over the whole phase (its range
/// windows widened to the phase) and set next to two measurements of the same requests:
/// - the exact quantile of the service's server spans in the trace store (the durations the histogram
///   counted, unbinned): they must agree within `tolerance` (10 %) or `floorSeconds` (1 ms). This is the
///   check; it holds on any machine, because it compares one measurement of the same requests with itself.
/// - the load generator's percentile, for the record: it also counts time outside the server (loopback,
///   the generator's own client and scheduling), a few milliseconds on a quiet machine and far more on
///   a loaded one, so it is shown, not judged.
public enum PanelTruth {
    public static let tolerance = 0.10
    public static let floorSeconds = 0.001
    /// Fewer server spans than this in a phase are not judged.
    public static let minimumSpans = 20

    /// One panel over one phase, next to the measurements of the same requests.
    public struct Reading: Sendable, Equatable {
        public var panel: String
        public var quantile: Double
        public var phase: String
        /// The panel's quantile over the phase (seconds).
        public var panelSeconds: Double
        /// The exact quantile of the entry service's server spans that ended in the phase (nil without traces).
        public var serverSeconds: Double?
        public var serverSpans: Int
        /// The load generator's percentile over the phase (seconds), nil when it answered nothing.
        public var measuredSeconds: Double?
        /// Answered requests the load generator's percentile rests on.
        public var responses: Int

        /// Judged when the trace store holds enough of the phase's server spans, with at least one in the tail.
        public var judged: Bool {
            serverSeconds != nil && serverSpans >= PanelTruth.minimumSpans && Double(serverSpans) * (1 - quantile) >= 1
        }

        public var agrees: Bool {
            guard judged, let server = serverSeconds else { return true }
            return abs(panelSeconds - server) <= max(PanelTruth.tolerance * server, PanelTruth.floorSeconds)
        }

        public var description: String {
            func ms(_ s: Double?) -> String { s.map { String(format: "%.1f ms", $0 * 1000) } ?? "—" }
            let off = serverSeconds.map { $0 > 0 ? String(format: " (%+.0f%%)", (panelSeconds - $0) / $0 * 100) : "" } ?? ""
            return "\(panel) (p\(Comparison.format(quantile * 100))) in \(phase): panel \(ms(panelSeconds)), server spans \(ms(serverSeconds))\(off)"
                + " of \(serverSpans), load generator \(ms(measuredSeconds)) of \(responses) responses"
        }

        var json: [String: Any] {
            ["panel": panel, "quantile": quantile, "phase": phase, "panel_seconds": panelSeconds,
             "server_seconds": serverSeconds ?? NSNull(), "server_spans": serverSpans,
             "measured_seconds": measuredSeconds ?? NSNull(), "responses": responses, "judged": judged, "agrees": agrees]
        }
    }

    /// A panel the check can judge: its index, title, quantile, and the request name it stands for
    /// (nil: every request of the phase).
    struct ComparablePanel: Equatable {
        var title: String
        var quantile: Double
        var promql: String
        var request: String?
    }

    static func comparablePanels(_ manifest: LabManifest) -> [ComparablePanel] {
        guard let scenario = manifest.scenario, let role = scenario.target ?? manifest.entryService?.role else { return [] }
        let quantilePattern = try! NSRegularExpression(pattern: #"^\s*histogram_quantile\(\s*([0-9.]+)\s*,"#)
        return manifest.dashboard.compactMap { panel in
            let q = panel.promql
            guard let match = quantilePattern.firstMatch(in: q, range: NSRange(q.startIndex..., in: q)),
                  let range = Range(match.range(at: 1), in: q), let quantile = Double(q[range]), quantile > 0, quantile < 1
            else { return nil }
            let selectors = SeriesSelector.buckets(in: q)
            guard selectors.count == 1, let selector = selectors.first, selector.metric == "http_server_request_duration_seconds_bucket",
                  selector.matchers.contains(where: { $0.label == "job" && $0.op == "=" && $0.value == role })
            else { return nil }
            // Every other matcher may only pick a route (or a method) of the scenario's requests.
            var request: String?
            for matcher in selector.matchers where matcher.label != "job" {
                guard matcher.op == "=" else { return nil }
                switch matcher.label {
                case "http_route":
                    let requests = scenario.requests.filter { $0.path == matcher.value }
                    guard requests.count == 1 else { return nil }
                    request = requests[0].name
                case "http_request_method" where scenario.requests.allSatisfy({ $0.method.uppercased() == matcher.value }): continue
                default: return nil
                }
            }
            return ComparablePanel(title: panel.title, quantile: quantile, promql: q, request: request)
        }
    }

    /// The panel's query over a whole phase: every range window becomes the phase's length.
    static func overPhase(_ promql: String, seconds: Double) -> String {
        let window = "[\(max(1, Int(seconds.rounded())))s]"
        let pattern = try! NSRegularExpression(pattern: #"\[[^\]:]+\]"#)
        return pattern.stringByReplacingMatches(in: promql, range: NSRange(promql.startIndex..., in: promql), withTemplate: window)
    }

    /// While the lab is still up after a run: the comparable panels over each phase (one instant query
    /// per panel and phase), with the exact quantile of the server spans and the load generator's.
    public static func readings(_ manifest: LabManifest, prometheus: PrometheusClient?, traces: TraceStore?, run: ScenarioRun) async -> [Reading] {
        guard let prometheus, let role = manifest.scenario?.target ?? manifest.entryService?.role else { return [] }
        let panels = comparablePanels(manifest)
        guard !panels.isEmpty else { return [] }
        let serverSpans = traces.map { serverSpanDigests(in: $0, service: role) } ?? []
        var out: [Reading] = []
        for panel in panels {
            let route = manifest.scenario?.requests.first { $0.name == panel.request }?.path
            for window in run.phases {
                let query = overPhase(panel.promql, seconds: window.seconds)
                guard let value = try? await prometheus.instant(query, at: window.end).first?.value, value.isFinite else { continue }
                let stats = run.load.phase(named: window.name).map { phase in panel.request.flatMap { phase.stats(forKind: $0) } ?? phase.stats }
                let start = UInt64(window.start * 1e9), end = UInt64(window.end * 1e9)
                let durations = serverSpans.filter { d in
                    let ended = d.startNanos + d.durationNanos
                    return ended >= start && ended < end && (route == nil || d.tag("http.route") == route)
                }.map(\.durationNanos)
                out.append(Reading(
                    panel: panel.title, quantile: panel.quantile, phase: window.name, panelSeconds: value,
                    serverSeconds: traces == nil ? nil : exactQuantile(durations, panel.quantile).map { Double($0) / 1e9 },
                    serverSpans: durations.count,
                    measuredSeconds: stats?.latency(atPercentile: panel.quantile * 100)?.seconds,
                    responses: Int(stats?.latency.totalCount ?? 0)))
            }
        }
        return out
    }

    /// The service's server spans (OTLP kind SERVER) in the store.
    static func serverSpanDigests(in store: TraceStore, service: String) -> [SpanDigest] {
        store.indexedTraces().flatMap { $0.digests.filter { $0.service == service && $0.kind == 2 } }
    }

    /// The value at rank ⌈q·n⌉ of the sorted values (HdrHistogram's definition), nil for none.
    static func exactQuantile(_ values: [UInt64], _ q: Double) -> UInt64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }

    /// The judged readings of a finished comparison that disagree, one line each (`variant: …`).
    public static func findings(_ comparison: Comparison) -> [String] {
        comparison.runs.flatMap { run in run.panelReadings.filter { !$0.agrees }.map { "\(run.variant): \($0.description)" } }
    }
}
