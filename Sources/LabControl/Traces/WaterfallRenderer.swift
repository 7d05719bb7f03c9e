import Foundation

/// Renders one trace as a terminal waterfall, followed by where the time went.
///
/// ```
/// trace 4bf92f3577b34da6a3ce929d0e0e4736 · GET /checkout · 1.234s · 4 spans · 2 services · 1 error
///
/// SPAN                          SERVICE    STATUS  DURATION  SELF      TIMELINE
/// GET /checkout                 frontend   OK      1.234s    20.1ms    |████████████████████████████████|
///   GET /inventory              frontend   OK      1.200s    1.1ms     | ███████████████████████████████|  http.route=/inventory
///     SELECT items              inventory  ERROR   1.199s    1.199s    | ███████████████████████████████|  db.system=postgresql
///
/// self-time by service (a span's time not spent waiting on its children):
///   inventory  1.199s  97.2%  ██████████████████████████████
///   frontend   34.6ms   2.8%  █
/// the time went to: inventory (97.2% of self-time)
/// ```
public struct WaterfallRenderer: Sendable {
    /// Width of the timeline bar, in characters.
    public var barWidth: Int = 40
    public var nameWidth: Int = 36
    public var serviceWidth: Int = 14

    public init(barWidth: Int = 40, nameWidth: Int = 36, serviceWidth: Int = 14) {
        self.barWidth = barWidth
        self.nameWidth = nameWidth
        self.serviceWidth = serviceWidth
    }

    /// Attributes worth a glance in a waterfall line, in this order (new and old semantic conventions).
    static let keyAttributes = [
        "http.request.method", "http.method", "http.route", "url.path", "http.target",
        "http.response.status_code", "http.status_code", "server.address", "peer.service",
        "db.system", "db.system.name", "db.operation", "db.operation.name", "db.statement", "db.query.text",
        "rpc.system", "rpc.method", "messaging.system", "messaging.operation", "error.type",
    ]

    public func render(_ trace: Trace) -> String {
        let summary = trace.summary
        let tree = trace.tree
        var lines: [String] = []
        let errors = summary.errorCount == 1 ? "1 error" : "\(summary.errorCount) errors"
        lines.append(
            "trace \(trace.traceID.hex) · \(summary.rootName) · \(TraceFormatting.duration(summary.durationNanos)) · "
                + "\(summary.spanCount) spans · \(summary.services.count) services · \(errors)"
        )
        lines.append("started \(TraceFormatting.timestamp(summary.startNanos)) UTC")
        lines.append("")
        lines.append(
            TraceFormatting.fit("SPAN", nameWidth) + "  " + TraceFormatting.fit("SERVICE", serviceWidth) + "  "
                + TraceFormatting.fit("STATUS", 6) + "  " + TraceFormatting.fit("DURATION", 9) + "  "
                + TraceFormatting.fit("SELF", 9) + "  TIMELINE"
        )
        let selfTimes = SelfTime.perSpan(tree)
        for ((entry, depth), (_, selfNanos)) in zip(tree.flattened, selfTimes) {
            let s = entry.span
            let indent = String(repeating: "  ", count: depth)
            let name = indent + (entry.isOrphan ? "⚠ " : "") + s.span.name
            var line = TraceFormatting.fit(name, nameWidth) + "  " + TraceFormatting.fit(s.serviceName, serviceWidth) + "  "
            line += TraceFormatting.fit(status(s), 6) + "  " + TraceFormatting.fit(TraceFormatting.duration(s.durationNanos), 9) + "  "
            line += TraceFormatting.fit(TraceFormatting.duration(selfNanos), 9) + "  "
            line += "|" + bar(s, traceStart: summary.startNanos, traceDuration: summary.durationNanos) + "|"
            let attrs = Self.keyAttributes.compactMap { key in s.attribute(key).map { "\(key)=\(shorten($0))" } }
            if entry.isOrphan { line += "  (parent \(HexBytes.encode(s.span.parentSpanID)) not received)" }
            if !attrs.isEmpty { line += "  " + attrs.joined(separator: " ") }
            if s.isError, !s.span.status.message.isEmpty { line += "  error: \(shorten(s.span.status.message))" }
            lines.append(line)
        }
        lines.append("")
        lines.append(contentsOf: renderSelfTime(SelfTime.byService([trace])))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The per-service self-time table and the culprit line.
    public func renderSelfTime(_ breakdown: ServiceTimeBreakdown) -> [String] {
        var lines = ["self-time by service (a span's time not spent waiting on its children):"]
        let width = max(7, breakdown.rows.map(\.service.count).max() ?? 0)
        for row in breakdown.rows {
            let share = breakdown.share(of: row)
            let cells = Int((share * 30).rounded())
            lines.append(
                "  " + TraceFormatting.fit(row.service, width) + "  " + TraceFormatting.padLeft(TraceFormatting.duration(row.selfNanos), 9)
                    + "  " + TraceFormatting.padLeft(percent(share), 6) + "  "
                    + String(repeating: "█", count: max(cells, row.selfNanos > 0 ? 1 : 0))
            )
        }
        if let culprit = breakdown.culprit {
            lines.append(
                "the time went to: \(culprit.service) (\(percent(breakdown.share(of: culprit))) of self-time, \(TraceFormatting.duration(culprit.selfNanos)))"
            )
        }
        return lines
    }

    private func status(_ s: TraceSpan) -> String {
        switch s.span.status.code {
        case 1: return "OK"
        case 2: return "ERROR"
        default: return "-"
        }
    }

    /// The span's interval on a `barWidth`-cell timeline of the whole trace; at least one cell.
    private func bar(_ s: TraceSpan, traceStart: UInt64, traceDuration: UInt64) -> String {
        guard traceDuration > 0 else { return String(repeating: "█", count: barWidth) }
        // Integer arithmetic so a span ending exactly on a cell boundary does not spill into the next.
        let width = UInt64(barWidth)
        let startOffset = min(s.startNanos - traceStart, traceDuration)
        let endOffset = min(s.endNanos - traceStart, traceDuration)
        var first = Int(startOffset.multipliedReportingOverflow(by: width).partialValue / traceDuration)
        var last = Int((endOffset.multipliedReportingOverflow(by: width).partialValue + traceDuration - 1) / traceDuration)
        first = min(max(first, 0), barWidth - 1)
        last = min(max(last, first + 1), barWidth)
        return String(repeating: " ", count: first) + String(repeating: "█", count: last - first)
            + String(repeating: " ", count: barWidth - last)
    }

    private func shorten(_ s: String) -> String {
        let oneLine = s.split(whereSeparator: \.isNewline).joined(separator: " ")
        return oneLine.count > 60 ? String(oneLine.prefix(59)) + "…" : oneLine
    }

    private func percent(_ share: Double) -> String {
        String(format: "%.1f%%", share * 100)
    }
}
