import CoreMetrics

/// The proxy's swift-metrics instruments; every series carries the proxy's name as `proxy`.
struct ProxyMetrics: Sendable {
    let bytesUpstream: Counter
    let bytesDownstream: Counter
    let connectionsTotal: Counter
    let activeConnections: Gauge
    /// `proxy_up`: 1 while the proxy accepts connections, 0 while it is "down" (or not yet started).
    let up: Gauge
    private let toxicActive: [String: Gauge]

    init(proxyName: String, factory: any MetricsFactory) {
        func dimensions(_ extra: (String, String)...) -> [(String, String)] { [("proxy", proxyName)] + extra }
        bytesUpstream = Counter(label: "proxy_bytes_total", dimensions: dimensions(("direction", "upstream")), factory: factory)
        bytesDownstream = Counter(
            label: "proxy_bytes_total", dimensions: dimensions(("direction", "downstream")), factory: factory)
        connectionsTotal = Counter(label: "proxy_connections_total", dimensions: dimensions(), factory: factory)
        activeConnections = Gauge(label: "proxy_active_connections", dimensions: dimensions(), factory: factory)
        up = Gauge(label: "proxy_up", dimensions: dimensions(), factory: factory)
        var toxicActive: [String: Gauge] = [:]
        for type in Toxic.Kind.typeNames {
            toxicActive[type] = Gauge(label: "proxy_toxic_active", dimensions: dimensions(("type", type)), factory: factory)
        }
        self.toxicActive = toxicActive
    }

    /// `proxy_toxic_active{type}`: how many toxics of each type are installed (0 for the others).
    func recordToxics(_ toxics: [Toxic]) {
        for (type, gauge) in toxicActive {
            gauge.record(toxics.filter { $0.kind.typeName == type }.count)
        }
    }
}
