import Foundation

/// A line chart as inline SVG: a few series over seconds, with vertical markers for the
/// scenario's actions and shaded phase bands. No JavaScript library, no external file.
struct SVGChart {
    struct Line {
        var name: String
        var points: [(x: Double, y: Double)]
    }
    struct Marker {
        var x: Double
        var label: String
    }
    struct Band {
        var from: Double
        var to: Double
        var label: String
    }

    var title: String
    var unit: String
    var lines: [Line]
    var markers: [Marker] = []
    var bands: [Band] = []
    var width = 560.0
    var height = 220.0

    static let colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"]

    func render() -> String {
        let left = 56.0
        let right = 12.0
        let top = 26.0
        let bottom = 28.0
        let plotW = width - left - right
        let plotH = height - top - bottom
        let xs = lines.flatMap { $0.points.map(\.x) } + markers.map(\.x) + bands.flatMap { [$0.from, $0.to] }
        let ys = lines.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        let minX = xs.min() ?? 0
        let maxX = max(xs.max() ?? 1, minX + 1)
        // A flat zero line still gets a readable axis: up to 1% for ratios, up to 1 otherwise.
        let floor = unit == "percentunit" || unit == "ratio" ? 0.01 : 1.0
        let maxY = niceCeiling(max(ys.max() ?? floor, floor))
        func px(_ x: Double) -> Double { left + (x - minX) / (maxX - minX) * plotW }
        func py(_ y: Double) -> Double { top + plotH - y / maxY * plotH }

        var svg =
            #"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(escape(title))">"#
        svg += #"<text x="\#(left)" y="16" class="title">\#(escape(title))</text>"#
        for (i, band) in bands.enumerated() where i % 2 == 1 {
            svg +=
                #"<rect x="\#(f(px(band.from)))" y="\#(top)" width="\#(f(px(band.to) - px(band.from)))" height="\#(plotH)" class="band"/>"#
        }
        for band in bands {
            svg += #"<text x="\#(f(px(band.from) + 3))" y="\#(f(top + 10))" class="bandlabel">\#(escape(band.label))</text>"#
        }
        for k in 0...4 {
            let y = maxY * Double(k) / 4
            svg += #"<line x1="\#(left)" x2="\#(f(left + plotW))" y1="\#(f(py(y)))" y2="\#(f(py(y)))" class="grid"/>"#
            svg += #"<text x="\#(f(left - 4))" y="\#(f(py(y) + 4))" class="axis" text-anchor="end">\#(escape(axisLabel(y)))</text>"#
        }
        svg += #"<text x="\#(f(left + plotW))" y="\#(f(height - 8))" class="axis" text-anchor="end">seconds</text>"#
        for marker in markers {
            svg +=
                #"<line x1="\#(f(px(marker.x)))" x2="\#(f(px(marker.x)))" y1="\#(top)" y2="\#(f(top + plotH))" class="marker"><title>\#(escape(marker.label))</title></line>"#
        }
        for (i, line) in lines.enumerated() {
            let finite = line.points.filter { $0.y.isFinite }
            guard !finite.isEmpty else { continue }
            let d = finite.enumerated().map { j, p in (j == 0 ? "M" : "L") + "\(f(px(p.x))),\(f(py(p.y)))" }.joined(separator: " ")
            let color = Self.colors[i % Self.colors.count]
            svg +=
                #"<path d="\#(d)" fill="none" stroke="\#(color)" stroke-width="1.8" data-series="\#(escape(line.name))"><title>\#(escape(line.name))</title></path>"#
            svg +=
                #"<text x="\#(f(left + 8 + Double(i) * 130))" y="\#(f(height - 8))" fill="\#(color)" class="legend">\#(escape(String(line.name.prefix(22))))</text>"#
        }
        svg += "</svg>"
        return svg
    }

    private func axisLabel(_ y: Double) -> String {
        switch unit {
        case "s": return y < 1 ? Comparison.format(y * 1000) + "ms" : Comparison.format(y) + "s"
        case "percentunit", "ratio": return Comparison.format(y * 100) + "%"
        default: return Comparison.format(y)
        }
    }

    private func niceCeiling(_ v: Double) -> Double {
        let exponent = pow(10, floor(log10(v)))
        for m in [1.0, 2, 2.5, 5, 10] where m * exponent >= v { return m * exponent }
        return 10 * exponent
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
