/// Renders trace summaries as the `labctl traces` table.
///
/// ```
/// TIME (UTC)               TRACE ID                          ROOT             DURATION  SPANS  ERRORS  SERVICES
/// 2026-11-21 05:40:01.123  4bf92f3577b34da6a3ce929d0e0e4736  GET /checkout      1.234s      4       1  frontend,inventory
/// ```
public struct TraceTableRenderer: Sendable {
    public var rootWidth: Int = 28

    public init(rootWidth: Int = 28) { self.rootWidth = rootWidth }

    public func render(_ summaries: [TraceSummary]) -> String {
        guard !summaries.isEmpty else { return "no traces stored\n" }
        var lines = [
            TraceFormatting.fit("TIME (UTC)", 23) + "  " + TraceFormatting.fit("TRACE ID", 32) + "  "
                + TraceFormatting.fit("ROOT", rootWidth) + "  " + TraceFormatting.padLeft("DURATION", 9) + "  "
                + TraceFormatting.padLeft("SPANS", 5) + "  " + TraceFormatting.padLeft("ERRORS", 6) + "  SERVICES"
        ]
        for s in summaries {
            lines.append(
                TraceFormatting.timestamp(s.startNanos) + "  " + s.traceID.hex + "  " + TraceFormatting.fit(s.rootName, rootWidth) + "  "
                    + TraceFormatting.padLeft(TraceFormatting.duration(s.durationNanos), 9) + "  "
                    + TraceFormatting.padLeft(String(s.spanCount), 5) + "  " + TraceFormatting.padLeft(String(s.errorCount), 6) + "  "
                    + s.services.joined(separator: ",")
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
