import Foundation
import LabKit
import Metrics

/// The generator's clock source: the machine's wall clock (`CLOCK_REALTIME`, the clock NTP steps)
/// plus an offset the lab injects, in milliseconds since the ids' epoch.
///
/// The lab cannot step the machine's clock (other labs and CI share it), so the scenario steps this
/// process's reading instead: `PUT /admin/config {"clock_offset_ms": -3000}`. To the generator that is
/// exactly what an NTP step back looks like — the wall clock suddenly reads an earlier time than a
/// moment ago. A monotonic clock never goes back, but it is not a calendar: ids need wall-clock time
/// to be ordered across machines, and so they inherit its steps.
struct GeneratorClock: Sendable {
    static let offsetKey = "clock_offset_ms"

    let config: LabConfig

    /// The injected offset (0 until the scenario sets `clock_offset_ms`).
    var offsetMs: Int64 { Int64(config.int(Self.offsetKey, default: 0) ?? 0) }

    /// The machine's wall clock, in Unix milliseconds.
    static func wallUnixMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// What the generator reads as "now": milliseconds since the ids' epoch.
    func nowMs() -> Int64 { Self.wallUnixMs() + offsetMs - SnowflakeId.epochUnixMs }
}
