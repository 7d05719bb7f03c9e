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
///   counted, unbinned, from the spans that ended between the window's first and last scrape): they must
///   agree within `tolerance` (10 %) or `floorSeconds` (1 ms), allowing the rank to move by `rankSlack`
///   requests and either edge of the window to move later by the phase's longest scrape (see
///   `windows(from:to:renderSlack:)`). This is the check; it holds on any machine, because it compares one measurement of the
///   same requests with itself.
/// - the load generator's percentile over the whole phase: it also counts time outside the server
///   (loopback, the generator's own client and scheduling), a few milliseconds on a quiet machine and
///   far more on a loaded one. It is not the yardstick, but where it and the spans disagree widely the
///   two describe different requests (see `Reading.judged`), and the reading is shown, not judged.
public enum PanelTruth {
    public static let tolerance = 0.10
    public static let floorSeconds = 0.001
    /// Fewer server spans than this in a phase are not judged: in a short phase (a 2 s warm-up at
    /// 40 req/s) the requests around the window's first and last scrape are a large share, and which
    /// side of a scrape they fall on (it renders a few milliseconds after its timestamp, more on a
    /// loaded machine) moves the quantile more than any bucket layout does.
    public static let minimumSpans = 100
    /// The scrape that opens or closes the window may count a request the spans do not, or the other
    /// way round: the panel may match the exact quantile of a rank up to this many requests away
    /// (it matters for tails: the p99 of 200 requests is the 2nd largest).
    public static let rankSlack = 2
    /// How far the load generator's percentile may be from the spans' for the two to count as the same
    /// requests: it adds the time outside the server (a few ms quiet, tens of ms loaded).
    public static let sameRequests = 0.25
    public static let sameRequestsFloorSeconds = 0.025

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
        /// The exact quantiles two ranks below and above (see `rankSlack`), over the windows the
        /// histogram's counts may stand for (see `windows(from:to:renderSlack:)`): the range the panel may fall in.
        public var serverRange: ClosedRange<Double>?
        /// The load generator's percentile over the phase (seconds), nil when it answered nothing.
        public var measuredSeconds: Double?
        /// Answered requests the load generator's percentile rests on.
        public var responses: Int

        /// Judged when the trace store holds enough of the phase's server spans, with at least one in the
        /// tail, and the spans and the load generator describe the same requests: the spans are those
        /// between the phase's first and last scrape, the load generator counts the whole phase, and
        /// where a tail is bimodal (fast requests next to ones waiting for a timeout) the requests in one
        /// set and not the other can put the quantile in the other mode (week 6 read panel 576 ms, spans
        /// 375 ms, load generator 640 ms). Where the two differ by more than `sameRequests`, the spans
        /// are no yardstick for the panel.
        public var judged: Bool {
            guard let server = serverSeconds, serverSpans >= PanelTruth.minimumSpans, Double(serverSpans) * (1 - quantile) >= 1
            else { return false }
            guard let measured = measuredSeconds else { return true }
            return abs(measured - server) <= max(PanelTruth.sameRequests * server, PanelTruth.sameRequestsFloorSeconds)
        }

        /// The panel agrees with the exact quantile of the server spans (within `tolerance`, or
        /// `floorSeconds`, of the quantiles `rankSlack` ranks around it).
        public var agrees: Bool {
            guard judged, let server = serverSeconds else { return true }
            let range = serverRange ?? server...server
            let low = range.lowerBound - max(PanelTruth.tolerance * range.lowerBound, PanelTruth.floorSeconds)
            let high = range.upperBound + max(PanelTruth.tolerance * range.upperBound, PanelTruth.floorSeconds)
            return low <= panelSeconds && panelSeconds <= high
        }

        public var description: String {
            func ms(_ s: Double?) -> String { s.map { String(format: "%.1f ms", $0 * 1000) } ?? "—" }
            let off = serverSeconds.map { $0 > 0 ? String(format: " (%+.0f%%)", (panelSeconds - $0) / $0 * 100) : "" } ?? ""
            return
                "\(panel) (p\(Comparison.format(quantile * 100))) in \(phase): panel \(ms(panelSeconds)), server spans \(ms(serverSeconds))\(off)"
                + " of \(serverSpans), load generator \(ms(measuredSeconds)) of \(responses) responses"
        }

        /// Read back from `labctl run --json` (what `labctl verify` judges with `compare --from-results`).
        init?(json: [String: Any]) {
            guard let panel = json["panel"] as? String, let quantile = json["quantile"] as? Double, let phase = json["phase"] as? String,
                let panelSeconds = json["panel_seconds"] as? Double
            else { return nil }
            let range = (json["server_range"] as? [Double]).flatMap { $0.count == 2 && $0[0] <= $0[1] ? $0[0]...$0[1] : nil }
            self.init(
                panel: panel, quantile: quantile, phase: phase, panelSeconds: panelSeconds,
                serverSeconds: json["server_seconds"] as? Double, serverSpans: json["server_spans"] as? Int ?? 0,
                serverRange: range, measuredSeconds: json["measured_seconds"] as? Double, responses: json["responses"] as? Int ?? 0)
        }

        public init(
            panel: String, quantile: Double, phase: String, panelSeconds: Double, serverSeconds: Double?, serverSpans: Int,
            serverRange: ClosedRange<Double>?, measuredSeconds: Double?, responses: Int
        ) {
            self.panel = panel
            self.quantile = quantile
            self.phase = phase
            self.panelSeconds = panelSeconds
            self.serverSeconds = serverSeconds
            self.serverSpans = serverSpans
            self.serverRange = serverRange
            self.measuredSeconds = measuredSeconds
            self.responses = responses
        }

        var json: [String: Any] {
            [
                "panel": panel, "quantile": quantile, "phase": phase, "panel_seconds": panelSeconds,
                "server_seconds": serverSeconds ?? NSNull(), "server_spans": serverSpans,
                "server_range": serverRange.map { [$0.lowerBound, $0.upperBound] } ?? NSNull(),
                "measured_seconds": measuredSeconds ?? NSNull(), "responses": responses, "judged": judged, "agrees": agrees,
            ]
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
    public static func readings(
        _ manifest: LabManifest, prometheus: PrometheusClient?, traces: TraceStore?, run: ScenarioRun
    ) async -> [Reading] {
        guard let prometheus, let role = manifest.scenario?.target ?? manifest.entryService?.role else { return [] }
        // (one instant query per panel and phase, and one for the phase's scrape times)
        let panels = comparablePanels(manifest)
        guard !panels.isEmpty else { return [] }
        let serverSpans = traces.map { serverSpanDigests(in: $0, service: role) } ?? []
        var out: [Reading] = []
        let requests = manifest.scenario?.requests ?? []
        for panel in panels {
            // Not the first phase: the histogram's series (one per route and status) are born during
            // it, and a counter that starts inside a window is counted from its first scrape on, bucket
            // by bucket, so the panel's quantile there describes a different set of requests.
            for window in run.phases.dropFirst() {
                // The histogram counts what was observed between the first and the last scrape inside
                // the window: take the spans that ended in that same interval.
                let seconds = max(1, Int(window.seconds.rounded()))
                let scrapes = (try? await prometheus.sampleTimes("up{job=\"\(role)\"}", seconds: seconds, at: window.end)) ?? []
                let (from, to) = scrapes.count >= 2 ? (scrapes.first!, scrapes.last!) : (window.start, window.end)
                // The panel over exactly those requests: its buckets' increase from the first scrape to the
                // last, not `rate` over the phase, which extrapolates each bucket series on its own to the
                // window's edges — a young series (a status first seen in the phase) then leans to the
                // tail (week 23 before, as pricing goes down: p99 41 ms, its spans 16–19 ms).
                let exact = scrapes.count >= 2 ? betweenScrapes(panel.promql, seconds: to - from) : nil
                guard
                    let samples = try? await prometheus.instant(
                        exact ?? overPhase(panel.promql, seconds: window.seconds), at: exact == nil ? window.end : to),
                    !samples.isEmpty
                else { continue }
                // A scrape is stamped when it starts and the service renders its counts a moment later
                // (tens of ms on a loaded machine): requests that end in between are on the other side
                // of that scrape in the histogram than in the spans. Bound: the phase's longest scrape.
                let longestScrape =
                    (try? await prometheus.instant(
                        "max(max_over_time(scrape_duration_seconds{job=\"\(role)\"}[\(seconds)s]))", at: window.end))?.first?.value ?? 0
                let windows = Self.windows(from: from, to: to, renderSlack: longestScrape.isFinite ? longestScrape : 0)
                let phase = run.load.phase(named: window.name)
                for sample in samples where sample.value.isFinite {
                    // A panel `by (le, http_route)` draws one line per route: each is judged on its own.
                    let perRoute = sample.labels["http_route"]
                    if samples.count > 1 && perRoute == nil { continue }
                    let request = panel.request ?? perRoute.flatMap { route in requests.first { $0.path == route }?.name }
                    let route = panel.request.flatMap { name in requests.first { $0.name == name }?.path } ?? perRoute
                    let stats = phase.flatMap { phase in request.map { phase.stats(forKind: $0) } ?? (perRoute == nil ? phase.stats : nil) }
                    let routeSpans = serverSpans.filter { route == nil || $0.tag("http.route") == route }
                    let perWindow = windows.map { window in
                        routeSpans.filter { d in window.contains(d.startNanos + d.durationNanos) }.map(\.durationNanos)
                    }
                    let durations = perWindow.first ?? []
                    out.append(
                        Reading(
                            panel: panel.title + (perRoute.map { " [\($0)]" } ?? ""), quantile: panel.quantile, phase: window.name,
                            panelSeconds: sample.value,
                            serverSeconds: traces == nil ? nil : exactQuantile(durations, panel.quantile).map { Double($0) / 1e9 },
                            serverSpans: durations.count,
                            serverRange: perWindow.compactMap { exactRange($0, panel.quantile) }.reduce(nil, Self.union),
                            measuredSeconds: stats?.latency(atPercentile: panel.quantile * 100)?.seconds,
                            responses: Int(stats?.latency.totalCount ?? 0)))
                }
            }
        }
        return out
    }

    /// The panel's query with each `rate`/`irate`/`increase` of a `_bucket` selector replaced by the
    /// selector's increase over the last `seconds` (`sel - (sel offset Nms or sel * 0)`: a series born in
    /// between counts from 0). Nil when the query has no such range function.
    static func betweenScrapes(_ promql: String, seconds: Double) -> String? {
        let pattern = try! NSRegularExpression(
            pattern:
                #"\b(?:rate|irate|increase)\(\s*([A-Za-z_:][A-Za-z0-9_:]*_bucket(?:\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?)\s*\[[^\]]+\]\s*\)"#)
        let text = promql as NSString
        let matches = pattern.matches(in: promql, range: NSRange(location: 0, length: text.length))
        guard !matches.isEmpty else { return nil }
        let offset = "\(max(1, Int((seconds * 1000).rounded())))ms"
        var out = promql
        for match in matches.reversed() {
            let selector = text.substring(with: match.range(at: 1))
            let whole = Range(match.range, in: out)!
            out.replaceSubrange(whole, with: "(\(selector) - (\(selector) offset \(offset) or \(selector) * 0))")
        }
        return out
    }

    /// The span windows the histogram's counts may stand for: the spans that ended between the first and
    /// the last scrape (the first window, the reading's own), and the same with either edge moved later
    /// by `renderSlack` seconds, because each scrape counts what had ended when the service rendered it,
    /// up to `renderSlack` after the scrape's timestamp. Each window is (start, end] in nanoseconds.
    static func windows(from: Double, to: Double, renderSlack: Double) -> [ClosedRange<UInt64>] {
        let starts = [from, from + renderSlack].map { UInt64($0 * 1e9) + 1 }
        let ends = [to, to + renderSlack].map { UInt64($0 * 1e9) }
        return starts.flatMap { start in ends.compactMap { end in start <= end ? start...end : nil } }
    }

    static func union(_ a: ClosedRange<Double>?, _ b: ClosedRange<Double>) -> ClosedRange<Double> {
        guard let a else { return b }
        return min(a.lowerBound, b.lowerBound)...max(a.upperBound, b.upperBound)
    }

    /// The service's server spans (OTLP kind SERVER) in the store.
    static func serverSpanDigests(in store: TraceStore, service: String) -> [SpanDigest] {
        store.indexedTraces().flatMap { $0.digests.filter { $0.service == service && $0.kind == 2 } }
    }

    /// The value at rank ⌈q·n⌉ of the sorted values (HdrHistogram's definition), nil for none.
    static func exactQuantile(_ values: [UInt64], _ q: Double, rankOffset: Int = 0) -> UInt64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1 + rankOffset))]
    }

    /// The exact quantiles `rankSlack` ranks below and above, in seconds.
    static func exactRange(_ values: [UInt64], _ q: Double) -> ClosedRange<Double>? {
        guard let low = exactQuantile(values, q, rankOffset: -rankSlack), let high = exactQuantile(values, q, rankOffset: rankSlack) else {
            return nil
        }
        return Double(low) / 1e9...Double(high) / 1e9
    }

    /// A platform verdict beside the lab's expectations: every judged latency panel agrees with the
    /// spans it counts. Nil when no run has a judged reading (no comparable panel, or no traces).
    static func verdict(_ runs: [ScenarioRun]) -> Comparison.Verdict? {
        let judged = runs.flatMap { $0.panelReadings.filter(\.judged) }
        guard !judged.isEmpty else { return nil }
        let wrong = runs.flatMap { run in run.panelReadings.filter { !$0.agrees }.map { "\(run.variant): \($0.description)" } }
        return Comparison.Verdict(
            measurement: "dashboard", check: "latency panels agree with the spans they count", holds: wrong.isEmpty,
            explanation: wrong.isEmpty
                ? "\(judged.count) panel readings within 10 % (or 1 ms) of the exact quantile of their server spans"
                : wrong.joined(separator: "; "),
            why: "a learner reads the panel, not the bucket layout")
    }

    /// The judged readings of a finished comparison that disagree, one line each (`variant: …`).
    public static func findings(_ comparison: Comparison) -> [String] {
        comparison.runs.flatMap { run in run.panelReadings.filter { !$0.agrees }.map { "\(run.variant): \($0.description)" } }
    }
}
