/// Prometheus' rules for metric and label names, and the escaping both text formats share.
///
/// Names coming through swift-metrics are free-form (`http.server.request.duration`), so every name
/// is sanitised once, when its family or series is created — never per observation.
enum PrometheusNames {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`; anything else becomes `_`, and a leading digit gets a `_` prefix.
    static func metricName(_ raw: String) -> String {
        sanitise(raw, allowColon: true)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`. Names starting with `__` are reserved for Prometheus itself,
    /// so leading underscores collapse to one.
    static func labelName(_ raw: String) -> String {
        var name = sanitise(raw, allowColon: false)
        while name.hasPrefix("__") { name.removeFirst() }
        return name
    }

    private static func sanitise(_ raw: String, allowColon: Bool) -> String {
        if raw.isEmpty { return "_" }
        var out = [UInt8]()
        out.reserveCapacity(raw.utf8.count + 1)
        for (i, c) in raw.utf8.enumerated() {
            let isLetter = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "_")
            let isDigit = c >= 0x30 && c <= 0x39
            let isColon = allowColon && c == UInt8(ascii: ":")
            if i == 0 && isDigit { out.append(UInt8(ascii: "_")) }
            out.append(isLetter || isDigit || isColon ? c : UInt8(ascii: "_"))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Label values may hold any UTF-8; only backslash, double quote and newline are escaped.
    static func escapeLabelValue(_ value: String) -> String {
        escape(value, quotes: true)
    }

    /// HELP text: text format 0.0.4 escapes backslash and newline; OpenMetrics also escapes `"`.
    static func escapeHelp(_ help: String, openMetrics: Bool) -> String {
        escape(help, quotes: openMetrics)
    }

    private static func escape(_ s: String, quotes: Bool) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || (quotes && $0 == UInt8(ascii: "\"")) })
        else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

/// Number formatting shared by both formats: `+Inf`, `-Inf`, `NaN`, integers without a fraction or
/// exponent (`12`, not `12.0` or `1.2e+01`), everything else in Swift's shortest round-trip form.
enum PrometheusNumber {
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v == .infinity { return "+Inf" }
        if v == -.infinity { return "-Inf" }
        // Exactly representable integers (|v| < 2^53) print as integers.
        if v == v.rounded(), abs(v) < 9_007_199_254_740_992 { return String(Int64(v)) }
        return v.description
    }

    /// A bucket bound as an `le` label value. Always a float form (`1.0`, `0.25`, `+Inf`) in both formats,
    /// so the same bucket gets the same `le` whichever format Prometheus scraped.
    static func bucketBound(_ v: Double) -> String {
        if v.isNaN || v.isInfinite { return format(v) }
        if v == v.rounded(), abs(v) < 9_007_199_254_740_992 { return String(Int64(v)) + ".0" }
        return v.description
    }

    /// Exemplar timestamps: Unix seconds with millisecond precision, e.g. `1700000000.123`.
    static func timestamp(_ seconds: Double) -> String {
        let millis = Int64((seconds * 1000).rounded())
        let whole = millis / 1000
        let frac = Int(millis % 1000)
        let fracText = String(frac)
        return "\(whole)." + String(repeating: "0", count: 3 - fracText.count) + fracText
    }
}
