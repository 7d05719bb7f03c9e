import Foundation

/// The self-contained HTML report of `labctl compare`: the verdicts, the comparison table, per
/// variant the load generator's latency/throughput/error charts and the lab's dashboard panels
/// (with the scenario's actions marked), and each variant's slowest trace as a waterfall.
/// One file, no external assets, so it opens anywhere and can be attached to a ticket.
public enum HTMLReport {
    public static func render(_ data: ReportData, generatedAt: Date = Date()) -> String {
        let c = data.comparison
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>\(escape(c.lab.title)) — before vs after</title>
            <style>\(style)</style></head><body>
            <h1>Week \(c.lab.week): \(escape(c.lab.title))</h1>
            <p class="summary">\(escape(c.lab.summary))</p>
            <p class="verdict \(c.holds ? "pass" : "fail")" id="verdict">\(c.holds ? "Every expectation holds." : "\(c.failedCount) of \(c.decidedCount) expectations do not hold.")</p>
            <h2>Expectations</h2><ul class="verdicts">
            """
        for v in c.verdicts {
            html +=
                #"<li class="\#(v.mark.lowercased())"><b>\#(v.mark)</b> <code>\#(escape(v.measurement)): \#(escape(v.check))</code> — \#(escape(v.explanation))\#(v.why.map { " <i>(\(escape($0)))</i>" } ?? "")</li>"#
        }
        html += "</ul><h2>Measurements</h2>" + table(c)
        for run in c.runs {
            html +=
                #"<section class="variant" data-variant="\#(escape(run.variant))"><h2>Variant: \#(escape(run.variant))</h2><div class="charts">"#
            for chart in loadCharts(run) { html += chart.render() }
            for panel in data.panels[run.variant] ?? [] { html += panelChart(panel, run: run).render() }
            html += "</div>"
            if !run.actions.isEmpty {
                html += "<h3>Actions</h3><ul class=\"actions\">"
                for a in run.actions {
                    html +=
                        "<li>\(String(format: "%.1f", a.offset)) s — \(escape(a.description))\(a.error.map { " <b class=\"fail\">failed: \(escape($0))</b>" } ?? "")</li>"
                }
                html += "</ul>"
            }
            if let trace = data.slowestTraces[run.variant] { html += waterfall(trace) }
            html += "</section>"
        }
        html += """
            <footer>Generated \(ISO8601DateFormatter().string(from: generatedAt)) by <code>labctl compare \(escape(c.lab.slug))</code>.</footer>
            <script>\(script)</script>
            </body></html>
            """
        return html
    }

    static func table(_ c: Comparison) -> String {
        var html = "<table class=\"measurements\"><thead><tr><th>measurement</th>"
        for v in c.variants { html += "<th>\(escape(v))</th>" }
        html += "</tr></thead><tbody>"
        for spec in c.lab.measurements {
            html += "<tr><td title=\"\(escape(spec.description ?? ""))\">\(escape(spec.name))</td>"
            for v in c.variants {
                html += "<td>\(escape(Comparison.format(c.values[spec.name]?[v] ?? .missing(""), unit: spec.unit)))</td>"
            }
            html += "</tr>"
        }
        return html + "</tbody></table>"
    }

    static func markers(_ run: ScenarioRun) -> [SVGChart.Marker] {
        run.actions.map { .init(x: $0.offset, label: $0.description) }
    }

    static func bands(_ run: ScenarioRun) -> [SVGChart.Band] {
        run.phases.map { .init(from: $0.start - run.startTime, to: $0.end - run.startTime, label: $0.name) }
    }

    static func loadCharts(_ run: ScenarioRun) -> [SVGChart] {
        let t = run.timeline
        return [
            SVGChart(
                title: "Client p99 latency (last second)", unit: "s",
                lines: [.init(name: "p99", points: t.compactMap { p in p.p99Seconds.map { (p.offset, $0) } })],
                markers: markers(run), bands: bands(run)),
            SVGChart(
                title: "Throughput (req/s)", unit: "reqps",
                lines: [
                    .init(name: "sent", points: t.map { ($0.offset, $0.sentPerSecond) }),
                    .init(name: "answered", points: t.map { ($0.offset, $0.responsesPerSecond) }),
                ],
                markers: markers(run), bands: bands(run)),
            SVGChart(
                title: "Client error rate", unit: "percentunit",
                lines: [.init(name: "errors", points: t.map { ($0.offset, $0.errorRate) })],
                markers: markers(run), bands: bands(run)),
        ]
    }

    static func panelChart(_ panel: ReportData.PanelSeries, run: ScenarioRun) -> SVGChart {
        let lines = panel.series.prefix(6).map { series in
            SVGChart.Line(
                name: series.labels.isEmpty
                    ? panel.title : series.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                points: series.points.map { ($0.time - run.startTime, $0.value) })
        }
        return SVGChart(title: panel.title, unit: panel.unit, lines: Array(lines), markers: markers(run), bands: bands(run))
    }

    static func waterfall(_ trace: Trace) -> String {
        let flat = trace.tree.flattened
        guard let start = flat.map({ $0.node.span.startNanos }).min(), let end = flat.map({ $0.node.span.endNanos }).max() else {
            return ""
        }
        let total = Double(max(end - start, 1))
        var html =
            "<h3>Slowest trace <code>\(trace.traceID.hex)</code> (\(Comparison.format(total / 1e6)) ms)</h3><div class=\"waterfall\">"
        for (node, depth) in flat.prefix(200) {
            let s = node.span
            let left = Double(s.startNanos - start) / total * 100
            let width = max(Double(s.durationNanos) / total * 100, 0.3)
            html +=
                #"<div class="span\#(s.isError ? " error" : "")"><span class="label" style="padding-left:\#(depth * 12)px">\#(escape(s.serviceName)): \#(escape(s.span.name))</span><span class="track"><span class="bar" style="left:\#(String(format: "%.2f", left))%;width:\#(String(format: "%.2f", width))%"></span></span><span class="ms">\#(Comparison.format(Double(s.durationNanos) / 1e6)) ms</span></div>"#
        }
        return html + "</div>"
    }

    static let style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#111;padding:0 16px}
        h1{margin-bottom:4px} .summary{color:#444;margin-top:0}
        .verdict{font-weight:600;padding:8px 12px;border-radius:6px;display:inline-block}
        .verdict.pass{background:#dcfce7} .verdict.fail{background:#fee2e2}
        ul.verdicts li.pass b{color:#15803d} ul.verdicts li.fail b,.fail{color:#b91c1c}
        table.measurements{border-collapse:collapse} table.measurements td,table.measurements th{border:1px solid #ddd;padding:4px 10px;text-align:right}
        table.measurements td:first-child{text-align:left}
        .charts{display:flex;flex-wrap:wrap;gap:12px} svg.chart{width:560px;height:220px;border:1px solid #eee;border-radius:6px}
        svg .title{font-weight:600;font-size:12px} svg .axis,svg .legend,svg .bandlabel{font-size:10px;fill:#555}
        svg .grid{stroke:#eee} svg .marker{stroke:#f59e0b;stroke-dasharray:4 3;stroke-width:1.5} svg .band{fill:#f6f6f6}
        .waterfall{font:12px ui-monospace,monospace;border:1px solid #eee;padding:6px;border-radius:6px}
        .waterfall .span{display:flex;align-items:center;gap:8px;height:20px}
        .waterfall .label{width:360px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
        .waterfall .track{position:relative;flex:1;height:10px;background:#f3f4f6}
        .waterfall .bar{position:absolute;top:0;height:10px;background:#2563eb;border-radius:2px}
        .waterfall .error .bar{background:#dc2626} .waterfall .ms{width:80px;text-align:right}
        footer{margin-top:32px;color:#777;font-size:12px}
        """

    /// Hovering a chart line highlights it; the page marks itself ready (the browser test checks it).
    static let script = """
        document.querySelectorAll('svg.chart path[data-series]').forEach(function (p) {
          p.addEventListener('mouseenter', function () { p.setAttribute('stroke-width', '3'); });
          p.addEventListener('mouseleave', function () { p.setAttribute('stroke-width', '1.8'); });
        });
        document.body.setAttribute('data-report-ready', String(document.querySelectorAll('svg.chart').length));
        """
}
