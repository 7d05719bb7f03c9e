import Synchronization

/// The last `capacity` latencies of something (a dependency's calls), and their percentiles: what
/// "the observed p95" means when a hedge delay follows it.
///
/// Percentiles are recomputed (a sort of the window) at most every `recomputeEvery` new samples, so
/// asking on every call stays cheap; until the window holds `minimumSamples` it answers nil.
public final class LatencyWindow: Sendable {
    public let capacity: Int
    public let minimumSamples: Int
    public let recomputeEvery: Int

    private struct State {
        var samples: [Duration] = []
        var next = 0
        var sinceSort = 0
        var sorted: [Duration] = []
    }

    private let state = Mutex(State())

    public init(capacity: Int = 1_000, minimumSamples: Int = 20, recomputeEvery: Int = 20) {
        precondition(capacity >= 1 && minimumSamples >= 1 && minimumSamples <= capacity && recomputeEvery >= 1)
        self.capacity = capacity
        self.minimumSamples = minimumSamples
        self.recomputeEvery = recomputeEvery
    }

    /// Samples held (at most `capacity`).
    public var count: Int { state.withLock { $0.samples.count } }

    public func record(_ latency: Duration) {
        state.withLock { state in
            if state.samples.count < capacity {
                state.samples.append(latency)
            } else {
                state.samples[state.next] = latency
            }
            state.next = (state.next + 1) % capacity
            state.sinceSort += 1
        }
    }

    /// The latency at `percentile` (0...100) of the window (nearest rank), or nil with too few samples.
    public func percentile(_ percentile: Double) -> Duration? {
        precondition((0...100).contains(percentile))
        return state.withLock { state -> Duration? in
            guard state.samples.count >= minimumSamples else { return nil }
            if state.sorted.count != state.samples.count || state.sinceSort >= recomputeEvery {
                state.sorted = state.samples.sorted()
                state.sinceSort = 0
            }
            let rank = Int((percentile / 100 * Double(state.sorted.count)).rounded(.up))
            return state.sorted[min(max(rank, 1), state.sorted.count) - 1]
        }
    }
}
