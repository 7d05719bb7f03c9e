// The one-line live view the CLI redraws while a scenario runs:
//   phase 2/4 steady ▕████▏ 12s left  rps 99.8  err 0.0%  p99 12ms

import Foundation

public enum ProgressLine {
    /// Formats a snapshot; `barWidth` is the number of cells in the phase progress bar.
    public static func format(_ s: LoadSnapshot, barWidth: Int = 10) -> String {
        let fraction = s.phaseDuration > .zero ? s.phaseElapsed / s.phaseDuration : 1
        let time = s.draining ? "draining" : "\(Int(s.phaseRemaining.seconds.rounded(.up)))s left"
        return "phase \(s.phaseIndex + 1)/\(s.phaseCount) \(s.phaseName) ▕\(bar(fraction, width: barWidth))▏ \(time)"
            + "  rps \(String(format: "%.1f", s.responsesPerSecond))"
            + "  err \(String(format: "%.1f", s.errorRate * 100))%"
            + "  p99 \(s.p99.map(duration) ?? "–")"
    }

    /// A bar of `width` cells filled to `fraction` (0…1), in eighths of a cell.
    public static func bar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded(.down))
        let partials = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var bar = String(repeating: "█", count: eighths / 8) + partials[eighths % 8]
        bar += String(repeating: " ", count: width - bar.count)
        return bar
    }

    /// A latency in the unit that reads best: `850µs`, `12ms`, `1.5ms`, `2.3s`.
    public static func duration(_ d: Duration) -> String {
        let us = d.microseconds
        switch us {
        case ..<1_000: return "\(us)µs"
        case ..<10_000: return String(format: "%.1fms", Double(us) / 1_000)
        case ..<1_000_000: return "\(us / 1_000)ms"
        default: return String(format: "%.1fs", Double(us) / 1_000_000)
        }
    }
}
