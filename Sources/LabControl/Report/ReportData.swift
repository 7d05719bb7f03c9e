/// Everything the HTML report shows, gathered while each variant's lab was still up.
public struct ReportData: Sendable {
    public var comparison: Comparison
    /// Per variant: the lab's dashboard panels as time series over the run.
    public var panels: [String: [PanelSeries]]
    /// Per variant: the slowest trace of the run, if traces were stored.
    public var slowestTraces: [String: Trace]

    public struct PanelSeries: Sendable {
        public var title: String
        public var unit: String
        public var series: [PrometheusClient.Series]
    }

    public init(comparison: Comparison, panels: [String: [PanelSeries]] = [:], slowestTraces: [String: Trace] = [:]) {
        self.comparison = comparison
        self.panels = panels
        self.slowestTraces = slowestTraces
    }
}
