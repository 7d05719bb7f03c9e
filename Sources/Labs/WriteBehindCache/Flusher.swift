import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// KEY IDEA: a write-behind cache has acknowledged every write before PostgreSQL sees it, so the
/// entries between Redis and the database are the only copy of acknowledged data. Whoever carries
/// them must not let go of one before the database has committed it. A flusher that *pops* a batch
/// (RPOP) holds the only copy in its memory until its next commit: `kill -9` loses them, and
/// nothing can tell which. A flusher that reads through a consumer group (XREADGROUP) leaves every
/// entry pending in Redis, acknowledges it (XACK) only after the COMMIT, and the next flusher claims
/// what a dead one left pending (XAUTOCLAIM): a crash costs a delay, never a write. Entries applied
/// twice (commit, then killed before XACK) are harmless: a row only takes a higher version.
///
/// The second trap is coalescing: a batch may hold several writes of one key, and only one needs to
/// reach the database — the latest. Keeping the first one queued leaves the database behind the
/// cache for good (`COALESCE=first`).
///
/// Every FLUSH_INTERVAL_MS the flusher writes what it took since the last flush (at most BATCH_MAX
/// entries) in one statement, coalesced per key.
enum Flusher {
    static let intervalKnob = Knob.milliseconds(
        "FLUSH_INTERVAL_MS", default: 1_000, in: 10...60_000, "how long the flusher gathers writes before it writes them to PostgreSQL")
    static let batchKnob = Knob.wholeNumber("BATCH_MAX", default: 5_000, in: 1...100_000, "entries in one flush at most")
    static let coalesceKnob = Knob.choice(
        "COALESCE", default: Coalescing.latest, "which write of a key a batch keeps: first (the oldest, wrong) or latest")
    static let claimIdleKnob = Knob.milliseconds(
        "CLAIM_IDLE_MS", default: 3_000, in: 100...600_000,
        "behind-stream: entries pending this long are claimed from their consumer (a crashed flusher's)")
    static let knobs: [any LabKnob] =
        [WriteMode.knob, coalesceKnob, intervalKnob, batchKnob, claimIdleKnob] + LabService.redisKnobs + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        let mode = try service.knobs.read(WriteMode.knob)
        guard let redis = try service.redis() else { throw LabStartupError("the flusher needs REDIS_URL: the queue lives in Redis") }
        guard let db = try service.postgres() else { throw LabStartupError("the flusher needs DATABASE_URL") }
        let consumer = "flusher-\(ProcessInfo.processInfo.processIdentifier)"
        let queue: any FlushQueue
        switch mode {
        case .behindList: queue = ListFlushQueue(redis: redis)
        case .behindStream:
            let stream = StreamFlushQueue(redis: redis, consumer: consumer, claimIdle: try service.knobs.read(claimIdleKnob))
            try await stream.prepare()
            queue = stream
        case .writeThrough: queue = NoFlushQueue()
        }
        let loop = FlushLoop(
            queue: queue, items: ItemRows(db: db), coalescing: try service.knobs.read(coalesceKnob),
            interval: try service.knobs.read(intervalKnob), batchMax: try service.knobs.read(batchKnob),
            metrics: FlusherMetrics(), logger: service.context.logger)
        service.addService(loop)
        service.context.logger.info("flusher \(consumer): \(mode.rawValue)")

        service.router.get("/status") { _, _ -> JSONValue in
            let backlog = try await queue.backlog()
            return [
                "consumer": .string(consumer), "held": .number(Double(loop.held)),
                "queue_length": .number(Double(backlog.length)), "pending": .number(Double(backlog.pending)),
            ]
        }
    }
}

/// The flusher's loop: take, take, take … until the interval is over or the batch is full; then
/// coalesce, write in one statement, and only then tell the queue.
final class FlushLoop: Service, Sendable {
    let queue: any FlushQueue
    let items: ItemRows
    let coalescing: Coalescing
    let interval: Duration
    let batchMax: Int
    let metrics: FlusherMetrics
    let logger: Logger
    private let heldCount = Atomic(0)

    init(
        queue: any FlushQueue, items: ItemRows, coalescing: Coalescing, interval: Duration, batchMax: Int, metrics: FlusherMetrics,
        logger: Logger
    ) {
        self.queue = queue
        self.items = items
        self.coalescing = coalescing
        self.interval = interval
        self.batchMax = batchMax
        self.metrics = metrics
        self.logger = logger
    }

    /// Entries taken from the queue and not committed yet: what `kill -9` would erase from memory.
    var held: Int { heldCount.load(ordering: .relaxed) }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            var batch: [QueuedWrite] = []
            var flushAt = ContinuousClock.now + interval
            var nextClaim = ContinuousClock.now
            while !Task.isCancelled {
                do {
                    if ContinuousClock.now >= nextClaim {
                        let claimed = try await queue.claimAbandoned(max: batchMax)
                        if !claimed.isEmpty {
                            metrics.entries("claimed").increment(by: claimed.count)
                            logger.info("claimed \(claimed.count) entries a crashed flusher left pending")
                        }
                        batch += claimed
                        nextClaim = ContinuousClock.now + .milliseconds(500)
                        try await recordBacklog()
                    }
                    if batch.count < batchMax {
                        let wait = min(.milliseconds(100), max(.zero, flushAt - ContinuousClock.now))
                        batch += try await queue.take(max: batchMax - batch.count, wait: wait)
                    }
                    setHeld(batch.count)
                    if ContinuousClock.now >= flushAt || batch.count >= batchMax {
                        if !batch.isEmpty { try await flush(batch) }
                        batch = []
                        setHeld(0)
                        flushAt = ContinuousClock.now + interval
                    }
                } catch is CancellationError {
                    return
                } catch {
                    // PostgreSQL or Redis failed: keep the batch and try again at the next interval.
                    metrics.failures.increment()
                    logger.warning("flush: \(error)")
                    flushAt = ContinuousClock.now + interval
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    private func flush(_ batch: [QueuedWrite]) async throws {
        let start = ContinuousClock.now
        let kept = QueuedWrite.coalesce(batch, keeping: coalescing)
        let changed = try await items.upsert(kept) // one statement: committed when it returns
        metrics.commits.increment()
        try await queue.committed(batch) // behind-stream: XACK + XDEL, after the commit
        metrics.flushDuration.recordInterval(since: start)
        metrics.entries("flushed").increment(by: kept.count)
        metrics.entries("coalesced").increment(by: batch.count - kept.count)
        metrics.rowsChanged.increment(by: changed)
    }

    private func setHeld(_ count: Int) {
        heldCount.store(count, ordering: .relaxed)
        metrics.held.record(count)
    }

    private func recordBacklog() async throws {
        let backlog = try await queue.backlog()
        metrics.queueLength.record(backlog.length)
        metrics.pending.record(backlog.pending)
    }
}

struct FlusherMetrics: Sendable {
    /// `write_behind_entries_total{outcome}`: flushed (sent to PostgreSQL), coalesced (dropped from a
    /// batch for another write of the same key), claimed (taken over from a crashed flusher).
    let entries: @Sendable (String) -> Counter = { Counter(label: "write_behind_entries_total", dimensions: [("outcome", $0)]) }
    let rowsChanged = Counter(label: "write_behind_rows_changed_total")
    /// PostgreSQL commits: one per batch.
    let commits = Counter(label: "database_commits_total")
    let failures = Counter(label: "write_behind_flush_failures_total")
    let held = Gauge(label: "write_behind_held_entries")
    let queueLength = Gauge(label: "write_behind_queue_length")
    let pending = Gauge(label: "write_behind_pending_entries")
    let flushDuration = Timer(label: "write_behind_flush_duration_seconds")

    init() {
        for outcome in ["flushed", "coalesced", "claimed"] { entries(outcome).increment(by: 0) }
        rowsChanged.increment(by: 0)
        commits.increment(by: 0)
        failures.increment(by: 0)
        held.record(0)
        queueLength.record(0)
        pending.record(0)
    }
}
