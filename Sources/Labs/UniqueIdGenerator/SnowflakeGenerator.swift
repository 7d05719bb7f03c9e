import LabKit
import Metrics
import Synchronization

// KEY IDEA: a Snowflake id is unique only if two promises hold, and neither is in the id itself.
// (1) No two live processes use the same worker id. A counter in some registry's memory keeps that
// promise only until the registry restarts: it counts from 0 again and hands out ids that running
// generators still use. A *lease* keeps it: the worker id is a key in Redis taken with SET NX and a
// TTL, renewed while the generator lives, so an id is free again only after its holder stopped
// renewing it — a crashed holder's id stays taken for one TTL, and nobody can be handed a held one.
// (2) A generator never goes back in time. The timestamp comes from the wall clock, which NTP may
// step backwards; a generator that trusts it starts the sequence at 0 in a millisecond it has
// already used and hands out the very ids it handed out a moment ago. The guard: remember the last
// millisecond used, and if the clock now reads earlier, wait until it has caught up (a small step)
// or refuse (a large one) — never mint below the last millisecond.

/// What a generator does when its clock reads earlier than the last millisecond it used
/// (`CLOCK_BACKWARDS`).
enum ClockBackwards: String, Sendable, CaseIterable {
    /// BEFORE: trust the clock; mint at the earlier millisecond, sequence from 0.
    case ignore
    /// AFTER: never mint below the last millisecond used: wait up to CLOCK_MAX_WAIT_MS for the clock
    /// to catch up, refuse (503) when it is further behind.
    case waitOrRefuse = "wait-or-refuse"
}

/// Why a generator did not hand out ids.
enum IssueRefusal: Error, CustomStringConvertible {
    case clockBehind(ms: Int64, maxWaitMs: Int64)
    case noWorkerId(String)

    var description: String {
        switch self {
        case .clockBehind(let ms, let maxWait):
            "the clock reads \(ms) ms earlier than the last millisecond this generator used (more than CLOCK_MAX_WAIT_MS = \(maxWait) ms to wait): refusing until it catches up"
        case .noWorkerId(let why): "no worker id: \(why)"
        }
    }
}

/// One generator's minting: the last millisecond it used and the next sequence number in it.
final class SnowflakeGenerator: Sendable {
    private struct State {
        var lastMs: Int64 = -1
        var nextSequence = 0
    }

    /// One step of minting, at one clock reading.
    enum Step {
        case minted
        /// All 4096 sequence numbers of this millisecond are used: try again in the next one.
        case millisecondFull
        /// The clock reads `ms` earlier than the last millisecond used (only with `.waitOrRefuse`).
        case clockBehind(ms: Int64)
    }

    let clock: GeneratorClock
    let workerId: WorkerIdHolder
    let onBackwards: ClockBackwards
    let maxWaitMs: Int64
    private let state = Mutex(State())
    private let metrics = GeneratorMetrics()

    init(clock: GeneratorClock, workerId: WorkerIdHolder, onBackwards: ClockBackwards, maxWait: Duration) {
        self.clock = clock
        self.workerId = workerId
        self.onBackwards = onBackwards
        self.maxWaitMs = Int64(maxWait.inSeconds * 1000)
    }

    /// The last millisecond used and how far the clock now reads behind it (0: not behind).
    var lastMs: Int64 { state.withLock { $0.lastMs } }
    var behindMs: Int64 { max(0, lastMs - clock.nowMs()) }

    /// Appends up to `count` ids to `ids`, all in the millisecond the clock reads now.
    func mintStep(upTo count: Int, worker: Int, into ids: inout [Int64]) -> Step {
        let now = clock.nowMs()
        let (step, wentBack) = state.withLock { state -> (Step, Bool) in
            var wentBack = false
            if now < state.lastMs {
                switch onBackwards {
                case .ignore:
                    // BEFORE: the clock is trusted. A millisecond already used is started again
                    // from sequence 0 — the ids it hands out now were handed out before.
                    state.lastMs = now
                    state.nextSequence = 0
                    wentBack = true
                case .waitOrRefuse:
                    // AFTER: never below the last millisecond used.
                    return (.clockBehind(ms: state.lastMs - now), false)
                }
            } else if now > state.lastMs {
                state.lastMs = now
                state.nextSequence = 0
            }
            let n = min(count, SnowflakeId.sequencesPerMillisecond - state.nextSequence)
            guard n > 0 else { return (.millisecondFull, false) }
            for sequence in state.nextSequence..<(state.nextSequence + n) {
                ids.append(SnowflakeId(ms: now, worker: worker, sequence: sequence).raw)
            }
            state.nextSequence += n
            return (.minted, wentBack)
        }
        if wentBack { metrics.backwards(.ignored) }
        return step
    }

    /// `count` new ids, or the reason there are none. Waits (never spins) for the next millisecond
    /// when one is full, and — with `.waitOrRefuse` — for a clock up to CLOCK_MAX_WAIT_MS behind.
    func issue(_ count: Int) async throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(count)
        var waited = false
        while ids.count < count {
            guard let worker = workerId.current else {
                metrics.noWorkerId.increment()
                throw IssueRefusal.noWorkerId(workerId.why)
            }
            switch mintStep(upTo: count - ids.count, worker: worker, into: &ids) {
            case .minted: continue
            case .millisecondFull: try await Task.sleep(for: .microseconds(200))
            case .clockBehind(let behind):
                guard behind <= maxWaitMs else {
                    metrics.backwards(.refused)
                    throw IssueRefusal.clockBehind(ms: behind, maxWaitMs: maxWaitMs)
                }
                if !waited { metrics.backwards(.waited) }
                waited = true
                try await Task.sleep(for: .milliseconds(behind))
            }
        }
        return ids
    }

    /// Mints ids as fast as this process can for `duration` and throws them away (none is handed
    /// out): how many ids per second one generator makes, with nobody to ask.
    func benchmark(for duration: Duration) async throws -> (ids: Int, seconds: Double) {
        var buffer: [Int64] = []
        buffer.reserveCapacity(SnowflakeId.sequencesPerMillisecond)
        var minted = 0
        var paused = Duration.zero
        let start = ContinuousClock.now
        while ContinuousClock.now - start - paused < duration {
            guard let worker = workerId.current else { throw IssueRefusal.noWorkerId(workerId.why) }
            buffer.removeAll(keepingCapacity: true)
            switch mintStep(upTo: SnowflakeId.sequencesPerMillisecond, worker: worker, into: &buffer) {
            case .minted: minted += buffer.count
            case .millisecondFull: try await Task.sleep(for: .microseconds(200))
            case .clockBehind(let behind):
                // The bench measures minting, not the clock: it waits out a step back (not timed).
                let waitStart = ContinuousClock.now
                try await Task.sleep(for: .milliseconds(behind))
                paused += ContinuousClock.now - waitStart
            }
        }
        return (minted, (ContinuousClock.now - start - paused).inSeconds)
    }
}

/// `id_generator_clock_backwards_total{action=ignored|waited|refused}`: mint attempts (an application
/// tick or a `GET /ids`) that found the clock earlier than the last millisecond used, by what the
/// generator did (ignored: once per step, the generator moved back with the clock; waited / refused:
/// every attempt that met it); `id_generator_no_worker_id_total`: attempts refused for want of a worker id.
struct GeneratorMetrics: Sendable {
    enum BackwardsAction: String, CaseIterable { case ignored, waited, refused }

    private let backwardsCounters: [String: Counter]
    let noWorkerId = Counter(label: "id_generator_no_worker_id_total")

    init() {
        var counters: [String: Counter] = [:]
        for action in BackwardsAction.allCases {
            let counter = Counter(label: "id_generator_clock_backwards_total", dimensions: [("action", action.rawValue)])
            counter.increment(by: 0)
            counters[action.rawValue] = counter
        }
        backwardsCounters = counters
        noWorkerId.increment(by: 0)
    }

    func backwards(_ action: BackwardsAction) { backwardsCounters[action.rawValue]?.increment() }
}
