// Collects results while a run is in progress: the per-phase report and a sliding one-second
// window for the live progress line. Many request tasks record at once, so all of it sits
// behind one mutex; each recording is a few additions, so the lock is held only briefly.

import Histogram
import Synchronization

/// A live view of a run, for a progress line.
public struct LoadSnapshot: Sendable {
    /// 0-based index of the phase the timeline is in (the last one while draining).
    public var phaseIndex: Int
    public var phaseCount: Int
    public var phaseName: String
    public var phaseElapsed: Duration
    public var phaseDuration: Duration
    /// Responses completed per second over the last second.
    public var responsesPerSecond: Double
    /// Requests sent per second over the last second.
    public var sentPerSecond: Double
    /// Share of requests that ended in error (non-2xx/3xx, timeout, connection error, dropped)
    /// over the last second, 0…1.
    public var errorRate: Double
    /// 99th percentile latency of the responses completed in the last second.
    public var p99: Duration?
    public var inFlight: Int
    /// Everything so far.
    public var totals: OutcomeCounts
    /// True once the timeline is over and only in-flight requests remain.
    public var draining: Bool

    public var phaseRemaining: Duration { max(phaseDuration - phaseElapsed, .zero) }
}

final class LoadRecorder: Sendable {
    /// The live window is `slotCount` slots of `slotLength`; a snapshot sums the last full second.
    static let slotLength: Duration = .milliseconds(100)
    static let windowSlots = 10
    static let slotCount = 20

    struct Slot {
        var tick = -1
        var sent = 0
        var outcomes = OutcomeCounts()
        var latency = LatencyHistogram.latency(digits: .two)
    }

    struct State {
        var report: LoadReport
        var totals = OutcomeCounts()
        var slots = [Slot](repeating: Slot(), count: LoadRecorder.slotCount)
        var finished: ContinuousClock.Instant?
    }

    let start: ContinuousClock.Instant
    /// Offset of each phase from the start, plus the end of the timeline.
    private let phaseStarts: [Duration]
    private let phaseNames: [String]
    private let state: Mutex<State>

    init(plan: LoadPlan, start: ContinuousClock.Instant) {
        self.start = start
        var offset = Duration.zero
        var starts: [Duration] = []
        for phase in plan.phases {
            starts.append(offset)
            offset += phase.duration
        }
        starts.append(offset)
        phaseStarts = starts
        phaseNames = plan.phases.map(\.name)
        state = Mutex(State(report: LoadReport(phases: plan.phases.map(PhaseReport.init))))
    }

    private func tick(_ at: ContinuousClock.Instant) -> Int {
        Int((at - start) / Self.slotLength)
    }

    /// The live-window slot for an instant, cleared if it still holds an older tick.
    private static func slot(_ tick: Int, in state: inout State) -> Int {
        let i = tick % slotCount
        if state.slots[i].tick != tick {
            state.slots[i].tick = tick
            state.slots[i].sent = 0
            state.slots[i].outcomes = OutcomeCounts()
            state.slots[i].latency.reset()
        }
        return i
    }

    func sent(phase: Int, lag: Duration?, at: ContinuousClock.Instant) {
        let t = max(tick(at), 0)
        state.withLock { s in
            if let lag { s.report.phases[phase].sendLag.record(lag) }
            s.slots[Self.slot(t, in: &s)].sent += 1
        }
    }

    func finished(phase: Int, kind: Int, outcome: RequestOutcome, latency: Duration?, at: ContinuousClock.Instant) {
        let t = max(tick(at), 0)
        state.withLock { s in
            s.report.phases[phase].stats.outcomes[outcome] += 1
            s.report.phases[phase].kinds[kind].stats.outcomes[outcome] += 1
            s.totals[outcome] += 1
            let i = Self.slot(t, in: &s)
            s.slots[i].outcomes[outcome] += 1
            if let latency {
                s.report.phases[phase].stats.latency.record(latency)
                s.report.phases[phase].kinds[kind].stats.latency.record(latency)
                s.slots[i].latency.record(latency)
            }
        }
    }

    func finish(at: ContinuousClock.Instant) -> LoadReport {
        state.withLock { s in
            s.finished = at
            s.report.elapsed = at - start
            return s.report
        }
    }

    func snapshot(now: ContinuousClock.Instant, inFlight: Int) -> LoadSnapshot {
        let elapsed = now - start
        let end = phaseStarts[phaseStarts.count - 1]
        let phase = max(0, (phaseStarts.lastIndex { $0 <= elapsed } ?? 0).clamped(to: phaseNames.count - 1))
        let current = tick(now)
        // The window: the last `windowSlots` complete slots (shorter at the very start).
        let first = max(current - Self.windowSlots, 0)
        let windowSeconds = Double(current - first) * Self.slotLength.seconds

        return state.withLock { s in
            var sent = 0
            var outcomes = OutcomeCounts()
            var latency = LatencyHistogram.latency(digits: .two)
            for slot in s.slots where slot.tick >= first && slot.tick < current {
                sent += slot.sent
                outcomes.add(slot.outcomes)
                latency.add(slot.latency)
            }
            return LoadSnapshot(
                phaseIndex: phase,
                phaseCount: phaseNames.count,
                phaseName: phaseNames[phase],
                phaseElapsed: min(elapsed, phaseStarts[phase + 1]) - phaseStarts[phase],
                phaseDuration: phaseStarts[phase + 1] - phaseStarts[phase],
                responsesPerSecond: windowSeconds > 0 ? Double(outcomes.total - outcomes[.dropped]) / windowSeconds : 0,
                sentPerSecond: windowSeconds > 0 ? Double(sent) / windowSeconds : 0,
                errorRate: outcomes.errorRate,
                p99: latency.latency(atPercentile: 99),
                inFlight: inFlight,
                totals: s.totals,
                draining: elapsed >= end
            )
        }
    }
}

extension Comparable {
    fileprivate func clamped(to upper: Self) -> Self { min(self, upper) }
}
