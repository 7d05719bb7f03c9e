/// The two text formats Prometheus scrapes, and the choice between them from an `Accept` header.
public enum ExpositionFormat: Sendable, Hashable {
    /// Prometheus text format 0.0.4: the classic default; no exemplars.
    case prometheusText
    /// OpenMetrics 1.0.0: counters' families are named without `_total`, a `# EOF` ends the body,
    /// and histogram buckets can carry exemplars. Prometheus asks for it first when configured to.
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// Picks the format the client prefers. Each media range in `accept` carries a q-value (default 1);
    /// OpenMetrics wins when its best q is positive and at least the best q of anything that means the
    /// text format (`text/plain`, `text/*`, `*/*`). No header, or nothing acceptable, means text 0.0.4.
    ///
    /// Prometheus itself sends e.g.
    /// `application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept, !accept.isEmpty else { return .prometheusText }
        var openMetricsQ = 0.0
        var textQ = 0.0
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
            guard let mediaType = parts.first else { continue }
            var q = 1.0
            var version: String?
            for parameter in parts.dropFirst() {
                let kv = parameter.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces() }
                guard kv.count == 2 else { continue }
                switch kv[0] {
                case "q": q = Double(kv[1]).map { min(max($0, 0), 1) } ?? 0
                case "version": version = kv[1]
                default: break
                }
            }
            switch mediaType {
            case "application/openmetrics-text":
                // We write 1.0.0; 0.0.1 parsers read it too. Unknown future versions are not assumed compatible.
                if version == nil || version == "1.0.0" || version == "0.0.1" { openMetricsQ = max(openMetricsQ, q) }
            case "text/plain":
                if version == nil || version == "0.0.4" { textQ = max(textQ, q) }
            case "text/*", "*/*":
                textQ = max(textQ, q)
            default:
                break
            }
        }
        return openMetricsQ > 0 && openMetricsQ >= textQ ? .openMetrics : .prometheusText
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
