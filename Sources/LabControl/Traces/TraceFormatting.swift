import Foundation

/// Small text helpers shared by the trace table and the waterfall.
enum TraceFormatting {
    /// `850µs`, `12.3ms`, `1.234s`: three significant-ish digits in the unit a reader expects.
    static func duration(_ nanos: UInt64) -> String {
        switch nanos {
        case ..<1_000: return "\(nanos)ns"
        case ..<1_000_000: return String(format: "%.0fµs", Double(nanos) / 1e3)
        case ..<1_000_000_000: return String(format: "%.1fms", Double(nanos) / 1e6)
        default: return String(format: "%.3fs", Double(nanos) / 1e9)
        }
    }

    /// Wall-clock time of a span start in UTC, millisecond precision: `2026-11-21 05:40:01.123`.
    static func timestamp(_ unixNanos: UInt64) -> String {
        let seconds = time_t(unixNanos / 1_000_000_000)
        let millis = Int(unixNanos / 1_000_000 % 1000)
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%03d",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis
        )
    }

    /// Pads or truncates (with `…`) to exactly `width` characters.
    static func fit(_ s: String, _ width: Int) -> String {
        if s.count > width { return String(s.prefix(max(0, width - 1))) + "…" }
        return s + String(repeating: " ", count: width - s.count)
    }

    static func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
