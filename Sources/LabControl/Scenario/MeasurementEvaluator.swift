import Foundation

/// Turns a run into the numbers its manifest asks for. Three sources:
/// - PromQL over a phase window, from the lab's Prometheus (`$window` becomes the window's length);
/// - the load generator's own statistics (HdrHistogram percentiles in seconds, counts, rates);
/// - facts from the stored traces (self-time per service in the window).
public struct MeasurementEvaluator: Sendable {
    public let prometheus: PrometheusClient?
    public let traces: TraceStore?

    public init(prometheus: PrometheusClient?, traces: TraceStore?) {
        self.prometheus = prometheus
        self.traces = traces
    }

    /// A measurement's value, or why there is none.
    public enum Value: Sendable, Equatable {
        case number(Double)
        case missing(String)

        public var number: Double? { if case .number(let v) = self { v } else { nil } }
    }

    public func evaluate(_ spec: MeasurementSpec, in run: ScenarioRun) async -> Value {
        guard let window = run.window(spec.phase) else { return .missing("no phase '\(spec.phase ?? "")' in the run") }
        switch spec.source {
        case .loadgen(let stat, let request):
            return Self.loadgenValue(stat: stat, request: request, phase: spec.phase, report: run.load, window: window)
        case .promql(let query):
            guard let prometheus else { return .missing("the lab runs no Prometheus") }
            let text = query.replacingOccurrences(of: "$window", with: Self.promDuration(window.seconds))
            do {
                let samples = try await prometheus.instant(text, at: window.end)
                switch samples.count {
                case 0: return .missing("no data for \(text)")
                case 1: return samples[0].value.isNaN ? .missing("NaN from \(text)") : .number(samples[0].value)
                default: return .missing("\(samples.count) series from \(text); aggregate them (sum, max, …) to one")
                }
            } catch {
                return .missing("\(error)")
            }
        case .trace(let fact):
            guard let traces else { return .missing("no trace store") }
            return Self.traceValue(fact: fact, store: traces, window: window)
        case .derived:
            return .missing("derived from other measurements (see derive)")
        case .chaos(let statistic, let experiment):
            guard let report = experiment.map({ name in run.chaos.last { $0.experiment == name } }) ?? run.chaos.last else {
                return .missing("the run has no report of chaos experiment \(experiment ?? "")")
            }
            switch report.value(of: statistic) {
            case .success(let value): return .number(value)
            case .failure(let why): return .missing(why.description)
            }
        }
    }

    /// Fills in the derived measurements (`expr:`) of one run from its other values, in manifest order.
    public static func derive(_ specs: [MeasurementSpec], _ values: inout [String: Value]) {
        for spec in specs {
            guard case .derived(let term) = spec.source else { continue }
            var numbers: [String: Double] = [:]
            var missing: [String] = []
            for name in term.variants.sorted() {
                if let number = values[name]?.number { numbers[name] = number } else { missing.append(name) }
            }
            guard missing.isEmpty, let value = term.evaluate(numbers), value.isFinite else {
                values[spec.name] = .missing(
                    missing.isEmpty ? "\(term) is not a finite number" : "needs \(missing.joined(separator: ", "))")
                continue
            }
            values[spec.name] = .number(value)
        }
    }

    /// PromQL duration for a window, whole seconds, at least 1s.
    static func promDuration(_ seconds: Double) -> String { "\(max(1, Int(seconds.rounded())))s" }

    static func loadgenValue(stat: String, request: String?, phase: String?, report: LoadReport, window: ScenarioRun.PhaseWindow) -> Value {
        var stats = RequestStats()
        let phases = phase.map { name in report.phases.filter { $0.name == name } } ?? report.phases
        for p in phases {
            if let request {
                guard let kind = p.stats(forKind: request) else { continue }
                stats.add(kind)
            } else {
                stats.add(p.stats)
            }
        }
        let outcomes = stats.outcomes
        func percentile(_ q: Double) -> Value {
            stats.latency(atPercentile: q).map { .number($0.seconds) } ?? .missing("no completed requests")
        }
        switch stat {
        case "requests": return .number(Double(outcomes.total))
        case "errors": return .number(Double(outcomes.errors))
        case "error_rate": return outcomes.total == 0 ? .missing("no requests") : .number(outcomes.errorRate)
        case "success_rate": return outcomes.total == 0 ? .missing("no requests") : .number(1 - outcomes.errorRate)
        case "throughput":
            return .number(Double(outcomes[.status2xx] + outcomes[.status3xx]) / max(window.seconds, 0.001))
        case "timeouts": return .number(Double(outcomes[.timeout]))
        case "p50": return percentile(50)
        case "p90": return percentile(90)
        case "p95": return percentile(95)
        case "p99": return percentile(99)
        case "p999": return percentile(99.9)
        case "max": return percentile(100)
        case "mean":
            return stats.latency.totalCount == 0 ? .missing("no completed requests") : .number(stats.latency.mean / 1e6)
        default: return .missing("unknown load generator statistic '\(stat)'")
        }
    }

    /// Trace facts over the traces that started in the window:
    /// `self_time_share:<service>` (0…1 of all self-time), `culprit_is:<service>` (1 or 0),
    /// `traces` (how many), `slowest_seconds`.
    static func traceValue(fact: String, store: TraceStore, window: ScenarioRun.PhaseWindow) -> Value {
        let query = TraceQuery(
            from: Date(timeIntervalSince1970: window.start), to: Date(timeIntervalSince1970: window.end))
        let parts = fact.split(separator: ":", maxSplits: 1).map(String.init)
        do {
            switch parts[0] {
            case "traces":
                return .number(Double(store.summaries(query).count))
            case "slowest_seconds":
                guard let slowest = store.slowest(1, query).first else { return .missing("no traces in the window") }
                return .number(Double(slowest.durationNanos) / 1e9)
            case "self_time_share", "culprit_is":
                guard parts.count == 2 else { return .missing("'\(fact)' needs a service: \(parts[0]):<service>") }
                let breakdown = try store.selfTimeByService(query)
                guard breakdown.totalNanos > 0 else { return .missing("no traces in the window") }
                if parts[0] == "culprit_is" { return .number(breakdown.culprit?.service == parts[1] ? 1 : 0) }
                let row = breakdown.rows.first { $0.service == parts[1] }
                return .number(row.map(breakdown.share(of:)) ?? 0)
            default:
                return .missing("unknown trace fact '\(fact)' (traces, slowest_seconds, self_time_share:<service>, culprit_is:<service>)")
            }
        } catch {
            return .missing("\(error)")
        }
    }
}
