import Foundation

/// What one run of a scenario produced: when each phase ran, what the load generator saw, which
/// actions happened when, and a per-second timeline for the report's charts.
public struct ScenarioRun: Sendable {
    public var variant: String
    /// Unix seconds at which the first phase started.
    public var startTime: Double
    public var phases: [PhaseWindow]
    public var load: LoadReport
    public var actions: [ActionRecord]
    public var timeline: [TimelinePoint]
    /// Titles of the lab's dashboard panels whose query returned no data over this run (no series,
    /// or only NaN): set after the run, when the panels are evaluated against the lab's Prometheus.
    public var panelsWithoutData: [String] = []
    /// The dashboard's latency quantiles over each phase next to the load generator's percentiles
    /// (see `PanelTruth`): set after the run, while the lab's Prometheus is still up.
    public var panelReadings: [PanelTruth.Reading] = []
    /// Where the variant's time went: start steps, first scrape, scenario, settle, measure, down.
    public var timings: [Timing] = []
    /// The chaos experiments the scenario ran (`chaos:` actions), in order.
    public var chaos: [ChaosReport] = []

    /// One step and how long it took.
    public struct Timing: Sendable, Codable, Equatable {
        public var step: String
        public var seconds: Double
    }

    /// One phase's wall-clock window (unix seconds).
    public struct PhaseWindow: Sendable, Codable, Equatable {
        public var name: String
        public var start: Double
        public var end: Double
        public var seconds: Double { end - start }
    }

    /// An action as it happened: seconds from the start, what, and the error if it failed.
    public struct ActionRecord: Sendable, Codable, Equatable {
        public var offset: Double
        public var description: String
        public var error: String?
    }

    /// The load generator's view of one second.
    public struct TimelinePoint: Sendable, Codable, Equatable {
        public var offset: Double
        public var phase: String
        public var sentPerSecond: Double
        public var responsesPerSecond: Double
        public var errorRate: Double
        /// Over the last second; nil when nothing completed.
        public var p99Seconds: Double?
        public var inFlight: Int
    }

    /// The panels without data, from the panels' series over the run.
    public static func panelsWithoutData(_ panels: [ReportData.PanelSeries]) -> [String] {
        panels.filter { panel in
            !panel.series.contains { series in series.points.contains { !$0.value.isNaN } }
        }.map(\.title)
    }

    public func window(_ phase: String?) -> PhaseWindow? {
        guard let phase else {
            guard let first = phases.first, let last = phases.last else { return nil }
            return PhaseWindow(name: "all", start: first.start, end: last.end)
        }
        return phases.first { $0.name == phase }
    }
}
