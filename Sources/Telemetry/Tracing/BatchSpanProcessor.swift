import CoreMetrics
import Synchronization

/// Collects finished spans in a bounded queue and exports them in batches from one background task.
///
/// - `onEnd` only takes a lock and appends (or, when the queue is full, drops and counts): it never
///   blocks and never awaits, so a slow or dead collector cannot slow the service down.
/// - A batch is exported when `maxExportBatchSize` spans are waiting, or `scheduleDelay` after the
///   last export, whichever comes first; one export at a time.
/// - Memory stays bounded whatever the collector does: at most `maxQueueSize` queued spans plus the
///   one batch being exported.
/// - `forceFlush()` and `shutdown()` export everything queued; with a working collector a graceful
///   stop loses nothing.
///
/// Metrics (swift-metrics facade, created from the factory given at init — bootstrap metrics first):
/// `telemetry_spans_exported_total`,
/// `telemetry_spans_dropped_total{reason="queue_full"|"export_failed"|"rejected"|"shutdown"}`,
/// `telemetry_export_failures_total`.
public final class BatchSpanProcessor: SpanProcessor {
    public let configuration: BatchConfiguration
    private let exporter: any SpanExporter
    private let state: Mutex<State>
    private let wakeUp = WakeUp()
    private let metrics: Metrics

    private struct State {
        var queue: [FinishedSpan] = []
        /// An empty array with the queue's capacity, swapped in when the worker takes the whole queue
        /// as a batch (see `takeBatch`); nil while the worker holds it.
        var spare: [FinishedSpan]? = []
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
        var isShutdown = false
        var workerFinished = false
        var statistics = Statistics()
    }

    /// What the processor has done so far (also exported as metrics).
    public struct Statistics: Sendable, Equatable {
        public var exportedSpans = 0
        public var droppedQueueFull = 0
        public var droppedExportFailed = 0
        public var droppedAfterShutdown = 0
        /// Refused by the collector in a partial success.
        public var rejectedByCollector = 0
        public var exportFailures = 0
        public var exportCalls = 0
        public var droppedSpans: Int { droppedQueueFull + droppedExportFailed + droppedAfterShutdown + rejectedByCollector }
    }

    private struct Metrics {
        let exported: Counter
        let droppedQueueFull: Counter
        let droppedExportFailed: Counter
        let droppedShutdown: Counter
        let rejected: Counter
        let failures: Counter

        init(factory: any MetricsFactory) {
            exported = Counter(label: "telemetry_spans_exported_total", factory: factory)
            droppedQueueFull = Counter(label: "telemetry_spans_dropped_total", dimensions: [("reason", "queue_full")], factory: factory)
            droppedExportFailed = Counter(
                label: "telemetry_spans_dropped_total", dimensions: [("reason", "export_failed")], factory: factory)
            droppedShutdown = Counter(label: "telemetry_spans_dropped_total", dimensions: [("reason", "shutdown")], factory: factory)
            rejected = Counter(label: "telemetry_spans_dropped_total", dimensions: [("reason", "rejected")], factory: factory)
            failures = Counter(label: "telemetry_export_failures_total", factory: factory)
        }
    }

    public init(
        exporter: any SpanExporter, configuration: BatchConfiguration = BatchConfiguration(),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        var configuration = configuration
        configuration.maxQueueSize = max(configuration.maxQueueSize, 1)
        configuration.maxExportBatchSize = min(max(configuration.maxExportBatchSize, 1), configuration.maxQueueSize)
        // A zero delay would make the export loop spin; a millisecond is as good as "immediately".
        configuration.scheduleDelay = max(configuration.scheduleDelay, .milliseconds(1))
        self.configuration = configuration
        self.exporter = exporter
        self.metrics = Metrics(factory: metricsFactory)
        var initial = State()
        initial.queue.reserveCapacity(configuration.maxQueueSize)
        initial.spare?.reserveCapacity(configuration.maxQueueSize)
        self.state = Mutex(initial)
        Task.detached { [self] in await self.runWorker() }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }
    /// Spans waiting in the queue right now.
    public var queuedCount: Int { state.withLock { $0.queue.count } }

    public func onEnd(_ span: FinishedSpan) {
        enum Outcome { case queued, batchFull, droppedFull, droppedShutdown }
        let outcome: Outcome = state.withLock { s in
            if s.isShutdown {
                s.statistics.droppedAfterShutdown += 1
                return .droppedShutdown
            }
            guard s.queue.count < configuration.maxQueueSize else {
                s.statistics.droppedQueueFull += 1
                return .droppedFull
            }
            s.queue.append(span)
            // Wake the worker once, when a full batch is first ready: it then exports every full
            // batch there is. Signalling on every span past that point made each `onEnd` contend
            // with the worker for the wake-up lock.
            return s.queue.count == configuration.maxExportBatchSize ? .batchFull : .queued
        }
        switch outcome {
        case .queued: break
        case .batchFull: wakeUp.signal()
        case .droppedFull: metrics.droppedQueueFull.increment()
        case .droppedShutdown: metrics.droppedShutdown.increment()
        }
    }

    public func forceFlush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { s in
                if s.workerFinished { return true }
                s.flushWaiters.append(continuation)
                return false
            }
            if finished { continuation.resume() } else { wakeUp.signal() }
        }
    }

    public func shutdown() async {
        let first = state.withLock { s in
            defer { s.isShutdown = true }
            return !s.isShutdown
        }
        await forceFlush() // the worker sees isShutdown, drains the queue, resumes us, and exits
        if first { await exporter.shutdown() }
    }

    // MARK: the export loop

    private func runWorker() async {
        while true {
            let reason = await wakeUp.wait(timeout: configuration.scheduleDelay)
            let (waiters, stopping) = state.withLock { s in
                let waiters = s.flushWaiters
                s.flushWaiters = []
                return (waiters, s.isShutdown)
            }
            // Drain everything on the timer, a flush or shutdown; only full batches when woken early.
            let drainAll = reason == .timeout || !waiters.isEmpty || stopping
            await exportQueued(drainAll: drainAll)
            for waiter in waiters { waiter.resume() }
            if stopping {
                let late = state.withLock { s in
                    s.workerFinished = true
                    defer { s.flushWaiters = [] }
                    return s.flushWaiters
                }
                for waiter in late { waiter.resume() }
                return
            }
        }
    }

    /// Exports batches until the queue is empty (`drainAll`) or holds less than a full batch.
    /// Once shutdown has begun, a failed export (all its retries spent) means the collector is down:
    /// the rest of the queue is dropped and counted instead of making shutdown wait a full export
    /// timeout per remaining batch.
    private func exportQueued(drainAll: Bool) async {
        while true {
            guard var batch = takeBatch(drainAll: drainAll) else { return }
            let result = await exporter.export(batch)
            let batchCount = batch.count
            batch.removeAll(keepingCapacity: true) // the spans are freed here, outside the lock
            state.withLock { s in
                if s.spare == nil && batch.capacity >= configuration.maxQueueSize { s.spare = batch }
                s.statistics.exportCalls += 1
                switch result {
                case .success: s.statistics.exportedSpans += batchCount
                case .partialSuccess(let rejected, _):
                    s.statistics.exportedSpans += batchCount - rejected
                    s.statistics.rejectedByCollector += rejected
                case .failure:
                    s.statistics.exportFailures += 1
                    s.statistics.droppedExportFailed += batchCount
                }
            }
            switch result {
            case .success: metrics.exported.increment(by: batchCount)
            case .partialSuccess(let rejected, _):
                metrics.exported.increment(by: batchCount - rejected)
                metrics.rejected.increment(by: rejected)
            case .failure:
                metrics.failures.increment()
                metrics.droppedExportFailed.increment(by: batchCount)
                if state.withLock({ $0.isShutdown }) { return dropQueueAfterFailedExport() }
            }
        }
    }

    /// The next batch, or nil when there is none to export yet. The lock is held only briefly: when the
    /// whole queue fits in a batch (the usual case), the queue's array *is* the batch and the spare
    /// array becomes the queue — no span is copied while `onEnd` callers wait.
    private func takeBatch(drainAll: Bool) -> [FinishedSpan]? {
        state.withLock { s in
            let ready = drainAll ? !s.queue.isEmpty : s.queue.count >= configuration.maxExportBatchSize
            guard ready else { return nil }
            if s.queue.count <= configuration.maxExportBatchSize, var next = s.spare {
                s.spare = nil
                swap(&next, &s.queue)
                return next
            }
            let n = min(configuration.maxExportBatchSize, s.queue.count)
            let batch = Array(s.queue.prefix(n))
            s.queue.removeFirst(n)
            return batch
        }
    }

    private func dropQueueAfterFailedExport() {
        let dropped = state.withLock { s in
            let n = s.queue.count
            s.queue.removeAll()
            s.statistics.droppedExportFailed += n
            return n
        }
        if dropped > 0 { metrics.droppedExportFailed.increment(by: dropped) }
    }
}

/// A one-slot wake-up signal for the export loop: `signal()` never blocks; `wait(timeout:)` returns
/// at the first signal (including one sent while nobody waited) or when the timeout passes.
final class WakeUp: Sendable {
    enum Reason: Equatable { case signal, timeout }

    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Reason, Never>?
        var generation = 0
        var timer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    func signal() { resume(.signal, generation: nil) }

    func wait(timeout: Duration) async -> Reason {
        await withCheckedContinuation { continuation in
            let generation: Int? = state.withLock { s in
                if s.pending {
                    s.pending = false
                    return nil
                }
                s.waiter = continuation
                s.generation += 1
                return s.generation
            }
            guard let generation else { return continuation.resume(returning: .signal) }
            let timer = Task { [self] in
                do {
                    try await Task.sleep(for: timeout)
                    resume(.timeout, generation: generation)
                } catch {}
            }
            let stale = state.withLock { s in
                if s.generation == generation && s.waiter != nil {
                    s.timer = timer
                    return false
                }
                return true
            }
            if stale { timer.cancel() }
        }
    }

    /// Wakes the current waiter; a timer only wakes the wait it was started for.
    private func resume(_ reason: Reason, generation: Int?) {
        let (waiter, timer): (CheckedContinuation<Reason, Never>?, Task<Void, Never>?) = state.withLock { s in
            if let generation, generation != s.generation { return (nil, nil) }
            guard let waiter = s.waiter else {
                if reason == .signal { s.pending = true }
                return (nil, nil)
            }
            s.waiter = nil
            defer { s.timer = nil }
            return (waiter, s.timer)
        }
        if reason == .signal { timer?.cancel() }
        waiter?.resume(returning: reason)
    }
}
