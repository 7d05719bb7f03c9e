import ServiceContextModule
import Synchronization

// The live series behind a metric family. One object per label set; callers keep the object and update
// it directly, so the hot path (every request) touches only that series — atomics for counters and
// gauges, one small per-series lock for a histogram — never a registry-wide lock.

/// A monotonically increasing count. Integer increments are a single atomic add; fractional increments
/// (swift-metrics' `FloatingPointCounter`) accumulate separately so integer totals stay exact.
public final class CounterSeries: Sendable {
    private let whole = Atomic<UInt64>(0)
    private let fraction = AtomicDouble(0)

    init() {}

    public func increment() { whole.wrappingAdd(1, ordering: .relaxed) }

    /// Adds `amount`; negative amounts are ignored (a counter never goes down).
    public func increment<T: BinaryInteger>(by amount: T) {
        guard amount > 0 else { return }
        whole.wrappingAdd(UInt64(clamping: amount), ordering: .relaxed)
    }

    /// Adds `amount`; negative, NaN or infinite amounts are ignored. Whole amounts stay exact.
    public func increment<T: BinaryFloatingPoint>(by amount: T) {
        let amount = Double(amount)
        guard amount > 0, amount.isFinite else { return }
        if amount == amount.rounded(), amount < 9_007_199_254_740_992 {
            whole.wrappingAdd(UInt64(amount), ordering: .relaxed)
        } else {
            fraction.add(amount)
        }
    }

    public var value: Double {
        Double(whole.load(ordering: .relaxed)) + fraction.load()
    }

    /// swift-metrics' `Counter.reset()`: back to zero (Prometheus sees it as a counter reset).
    func reset() {
        whole.store(0, ordering: .relaxed)
        fraction.store(0)
    }
}

/// A value that goes up and down (a swift-metrics `Gauge`/`Meter`, or a non-aggregating `Recorder`).
public final class GaugeSeries: Sendable {
    private let current = AtomicDouble(0)

    init() {}

    public func set(_ value: Double) { current.store(value) }
    public func increment(by amount: Double = 1) { current.add(amount) }
    public func decrement(by amount: Double = 1) { current.add(-amount) }
    public var value: Double { current.load() }
}

/// Observations counted into fixed buckets, plus their count and sum. When an observation happens inside a
/// sampled span, the bucket keeps it as its exemplar (latest wins), linking latency to a trace.
public final class HistogramSeries: Sendable {
    /// Sorted, finite upper bounds; the `+Inf` bucket is implicit.
    public let upperBounds: [Double]
    private let now: @Sendable () -> Double
    private let state: Mutex<State>

    private struct State {
        /// Non-cumulative counts; index `upperBounds.count` is the `+Inf` bucket.
        var counts: [UInt64]
        /// Kept as raw ids; hex strings are made only at scrape time (keeps `observe` cheap).
        var exemplars: [RawExemplar?]
        var count: UInt64 = 0
        var sum: Double = 0
    }

    init(upperBounds: [Double], now: @escaping @Sendable () -> Double) {
        self.upperBounds = upperBounds
        self.now = now
        self.state = Mutex(
            State(
                counts: Array(repeating: 0, count: upperBounds.count + 1),
                exemplars: Array(repeating: nil, count: upperBounds.count + 1)))
    }

    public func observe(_ value: Double) {
        let index = bucketIndex(value)
        // Read the task-local span context outside the lock; only sampled spans make exemplars
        // (an unsampled trace id would point at a trace nobody stored).
        var exemplar: RawExemplar?
        if let span = ServiceContext.current?.spanContext, span.isSampled, span.traceID.isValid {
            exemplar = RawExemplar(traceID: span.traceID, spanID: span.spanID, value: value, timestamp: now())
        }
        state.withLock { s in
            s.counts[index] &+= 1
            s.count &+= 1
            s.sum += value
            if let exemplar { s.exemplars[index] = exemplar }
        }
    }

    /// The first bucket whose bound is `>= value` (binary search); NaN and values above every bound go to `+Inf`.
    private func bucketIndex(_ value: Double) -> Int {
        var low = 0
        var high = upperBounds.count
        while low < high {
            let mid = (low + high) / 2
            if value <= upperBounds[mid] { high = mid } else { low = mid + 1 }
        }
        return value.isNaN ? upperBounds.count : low
    }

    public func snapshot() -> HistogramSnapshot {
        state.withLock { s in
            var cumulative: UInt64 = 0
            var buckets: [HistogramSnapshot.Bucket] = []
            buckets.reserveCapacity(upperBounds.count)
            for (i, bound) in upperBounds.enumerated() {
                cumulative &+= s.counts[i]
                buckets.append(.init(upperBound: bound, cumulativeCount: cumulative, exemplar: s.exemplars[i]?.exemplar))
            }
            return HistogramSnapshot(buckets: buckets, infExemplar: s.exemplars[upperBounds.count]?.exemplar, count: s.count, sum: s.sum)
        }
    }
}

struct RawExemplar {
    var traceID: TraceID
    var spanID: SpanID
    var value: Double
    var timestamp: Double

    var exemplar: Exemplar { Exemplar(traceID: traceID.hex, spanID: spanID.hex, value: value, timestamp: timestamp) }
}

/// A `Double` in an `Atomic<UInt64>` (its bit pattern); read-modify-write is a compare-exchange loop.
struct AtomicDouble: ~Copyable, Sendable {
    private let bits: Atomic<UInt64>

    init(_ value: Double) { bits = Atomic(value.bitPattern) }

    func load() -> Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
    func store(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }

    func add(_ amount: Double) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + amount).bitPattern
            let (exchanged, actual) = bits.compareExchange(expected: old, desired: new, ordering: .relaxed)
            if exchanged { return }
            old = actual
        }
    }
}
