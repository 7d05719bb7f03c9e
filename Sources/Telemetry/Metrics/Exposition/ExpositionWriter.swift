/// Writes metric family snapshots as Prometheus text 0.0.4 or OpenMetrics 1.0.0.
///
/// The two differ in small, easy-to-get-wrong ways:
/// - counter family `x`: text writes `# TYPE x_total counter`, OpenMetrics `# TYPE x counter`;
///   both write samples as `x_total`.
/// - OpenMetrics escapes `"` in HELP, allows exemplars after bucket samples, and ends with `# EOF`.
enum ExpositionWriter {
    static func write(_ families: [MetricFamilySnapshot], format: ExpositionFormat) -> String {
        var out = ""
        out.reserveCapacity(families.count * 256)
        let openMetrics = format == .openMetrics
        for family in families {
            let metadataName = family.type == .counter && !openMetrics ? family.name + "_total" : family.name
            if !family.help.isEmpty {
                out += "# HELP \(metadataName) \(PrometheusNames.escapeHelp(family.help, openMetrics: openMetrics))\n"
            }
            out += "# TYPE \(metadataName) \(family.type.rawValue)\n"
            for series in family.series {
                // The series' labels, escaped once and reused by every line of the series.
                let labels = series.labels.map { $0.name + "=\"" + PrometheusNames.escapeLabelValue($0.value) + "\"" }
                    .joined(separator: ",")
                switch series.value {
                case .counter(let v):
                    sample(&out, family.name, "_total", labels, v)
                case .gauge(let v):
                    sample(&out, family.name, "", labels, v)
                case .histogram(let h):
                    let bucketLabels = labels.isEmpty ? "le=\"" : labels + ",le=\""
                    for bucket in h.buckets {
                        sample(&out, family.name, "_bucket", bucketLabels + PrometheusNumber.bucketBound(bucket.upperBound) + "\"",
                               Double(bucket.cumulativeCount), exemplar: openMetrics ? bucket.exemplar : nil)
                    }
                    // The +Inf bucket counts every observation, so it always equals _count.
                    sample(&out, family.name, "_bucket", bucketLabels + "+Inf\"", Double(h.count),
                           exemplar: openMetrics ? h.infExemplar : nil)
                    sample(&out, family.name, "_sum", labels, h.sum)
                    sample(&out, family.name, "_count", labels, Double(h.count))
                }
            }
        }
        if openMetrics { out += "# EOF\n" }
        return out
    }

    /// One line: `name+suffix{labels} value[ exemplar]`.
    private static func sample(
        _ out: inout String, _ name: String, _ suffix: String, _ labels: String, _ value: Double, exemplar: Exemplar? = nil
    ) {
        out += name
        out += suffix
        if !labels.isEmpty {
            out += "{"
            out += labels
            out += "}"
        }
        out += " "
        out += PrometheusNumber.format(value)
        if let exemplar, let text = exemplarText(exemplar) { out += text }
        out += "\n"
    }

    /// ` # {trace_id="…",span_id="…"} value timestamp`. OpenMetrics caps an exemplar's label set at
    /// 128 UTF-8 characters (names and values); a longer one is left out rather than break the scrape.
    static func exemplarText(_ e: Exemplar) -> String? {
        let labelChars = "trace_id".utf8.count + e.traceID.utf8.count + "span_id".utf8.count + e.spanID.utf8.count
        guard labelChars <= 128 else { return nil }
        return " # {trace_id=\"\(PrometheusNames.escapeLabelValue(e.traceID))\",span_id=\"\(PrometheusNames.escapeLabelValue(e.spanID))\"} "
            + PrometheusNumber.format(e.value) + " " + PrometheusNumber.timestamp(e.timestamp)
    }
}
