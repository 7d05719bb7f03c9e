/// Writes metric family snapshots as Prometheus text 0.0.4 or OpenMetrics 1.0.0.
///
/// The two differ in small, easy-to-get-wrong ways:
/// - counter family `x`: text writes `# TYPE x_total counter`, OpenMetrics `# TYPE x counter`;
///   both write samples as `x_total`.
/// - OpenMetrics escapes `"` in HELP, allows exemplars after bucket samples, and ends with `# EOF`.
///
/// A scrape of a large registry writes tens of thousands of lines, so the writer appends UTF-8 bytes to
/// one buffer: each series' `{labels` is rendered once into a reused scratch buffer, each family's bucket
/// suffixes (`le="0.005"}`) once per family, and integers are formatted digit by digit, without Strings.
enum ExpositionWriter {
    /// - Parameter capacityHint: bytes to reserve up front (the registry passes the previous body's size).
    static func write(_ families: [MetricFamilySnapshot], format: ExpositionFormat, capacityHint: Int = 0) -> String {
        var out = ExpositionBuffer(capacity: max(capacityHint, families.count * 256))
        let openMetrics = format == .openMetrics
        var labels = ExpositionBuffer(capacity: 256) // `{name="value",…` of the current series, reused
        for family in families {
            let metadataName = family.type == .counter && !openMetrics ? family.name + "_total" : family.name
            if !family.help.isEmpty {
                out.append("# HELP ", metadataName, " ")
                out.append(PrometheusNames.escapeHelp(family.help, openMetrics: openMetrics))
                out.append(ascii: "\n")
            }
            out.append("# TYPE ", metadataName, " ")
            out.append(family.type.rawValue)
            out.append(ascii: "\n")
            // `le="…"}` of every bucket of the family, rendered once (the first series' bounds; another
            // series with other bounds, which only collected families can have, gets its own).
            var bucketSuffixes: (bounds: [Double], suffixes: [String])?
            for series in family.series {
                labels.removeAll()
                for (i, label) in series.labels.enumerated() {
                    labels.append(ascii: i == 0 ? "{" : ",")
                    labels.append(label.name, "=\"", PrometheusNames.escapeLabelValue(label.value))
                    labels.append(ascii: "\"")
                }
                switch series.value {
                case .counter(let v):
                    out.sample(family.name, "_total", labels, v)
                case .gauge(let v):
                    out.sample(family.name, "", labels, v)
                case .histogram(let h):
                    let bounds = h.buckets.map(\.upperBound)
                    if bucketSuffixes?.bounds != bounds {
                        bucketSuffixes = (bounds, bounds.map { "le=\"" + PrometheusNumber.bucketBound($0) + "\"}" })
                    }
                    let bucketLabels = labels.isEmpty ? "{" : ","
                    for (bucket, suffix) in zip(h.buckets, bucketSuffixes!.suffixes) {
                        out.bucket(
                            family.name, labels, bucketLabels, suffix, bucket.cumulativeCount,
                            exemplar: openMetrics ? bucket.exemplar : nil)
                    }
                    // The +Inf bucket counts every observation, so it always equals _count.
                    out.bucket(
                        family.name, labels, bucketLabels, "le=\"+Inf\"}", h.count,
                        exemplar: openMetrics ? h.infExemplar : nil)
                    out.sample(family.name, "_sum", labels, h.sum)
                    out.sample(family.name, "_count", labels, Double(h.count))
                }
            }
        }
        if openMetrics { out.append("# EOF\n") }
        return out.string
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

/// A growable UTF-8 byte buffer with the appends the exposition needs.
struct ExpositionBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    var isEmpty: Bool { bytes.isEmpty }
    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func append(ascii: Unicode.Scalar) { bytes.append(UInt8(ascii: ascii)) }

    mutating func append(_ other: ExpositionBuffer) { bytes.append(contentsOf: other.bytes) }

    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) } // native strings: no copy, one memcpy
    }

    mutating func append(_ a: String, _ b: String, _ c: String) {
        append(a)
        append(b)
        append(c)
    }

    /// Decimal digits of `v` without building a String.
    mutating func append(_ v: UInt64) {
        if v < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(v))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes of scratch: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { scratch in
            var x = v
            var i = scratch.count
            while x > 0 {
                i -= 1
                scratch[i] = UInt8(ascii: "0") + UInt8(x % 10)
                x /= 10
            }
            bytes.append(contentsOf: scratch[i...])
        }
    }

    /// A sample value in `PrometheusNumber.format`'s form; integers take the digit path.
    mutating func append(number v: Double) {
        if v == v.rounded(), abs(v) < 9_007_199_254_740_992 {
            if v < 0 { append(ascii: "-") }
            append(UInt64(abs(v)))
        } else {
            append(PrometheusNumber.format(v))
        }
    }

    /// `name+suffix{labels} value`. `labels` is `{a="b",…` without the closing brace.
    mutating func sample(_ name: String, _ suffix: String, _ labels: ExpositionBuffer, _ value: Double) {
        append(name)
        append(suffix)
        if !labels.isEmpty {
            append(labels)
            append(ascii: "}")
        }
        append(ascii: " ")
        append(number: value)
        append(ascii: "\n")
    }

    /// `name_bucket{labels,le="bound"} count[ exemplar]`; `separator` is `{` or `,`.
    mutating func bucket(
        _ name: String, _ labels: ExpositionBuffer, _ separator: String, _ leSuffix: String, _ count: UInt64, exemplar: Exemplar?
    ) {
        append(name)
        append("_bucket")
        append(labels)
        append(separator)
        append(leSuffix)
        append(ascii: " ")
        append(count)
        if let exemplar, let text = ExpositionWriter.exemplarText(exemplar) { append(text) }
        append(ascii: "\n")
    }
}
