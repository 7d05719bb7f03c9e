import Dispatch
import Foundation
import LabKit
import Logging
import Metrics
import Synchronization

/// KEY IDEA: an acknowledgement is a promise that the write survives. A store that answers "stored"
/// from a buffer in its own memory has promised something it has not done: kill -9 the process and
/// every write acknowledged since the last flush is gone. A write-ahead log keeps the promise by
/// putting the record in the log file — write(2), then fsync(2) — before it answers.
///
/// What each step protects against: once write(2) returns, the bytes belong to the kernel (the page
/// cache) and a killed *process* cannot lose them. An OS crash or a power cut can; only fsync(2),
/// which returns when the data is on stable storage, covers that. This lab kills processes; the
/// fsync part is measured as its cost, and group commit is how that cost is paid once per batch
/// instead of once per write.
///
/// - `buffered` (before): the record goes into a userspace buffer, the client gets its answer at once,
///   and every FLUSH_MS the buffer is written to the file (no fsync).
/// - `fsync-each`: write + fsync of the record, then the answer; one write at a time (the log is one
///   file in LSN order), so at most 1 / (fsync time) writes per second, however many clients wait.
/// - `group-commit` (after): the same promise; the writes that arrive while an fsync is in progress
///   queue up and go to the file together: one write(2) + one fsync(2) for the whole batch.
enum CommitMode: String, Sendable, CaseIterable {
    case buffered
    case fsyncEach = "fsync-each"
    case groupCommit = "group-commit"
}

/// The store: a map in memory, made durable by the log (and bounded by checkpoints). File work runs
/// on one serial I/O queue (a thread of its own: an fsync must not block Swift's cooperative pool).
final class LoggedKVStore: Sendable {
    struct Settings: Sendable {
        var mode: CommitMode
        /// Checkpoint once the segment being appended to holds this many records; 0: never.
        var checkpointEvery: Int
    }

    private struct Pending {
        let record: WALRecord
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var map: [String: String]
        var nextLSN: UInt64
        /// The last LSN whose write is in `map`.
        var appliedLSN: UInt64
        /// group-commit: the writes waiting for the next batch, and whether a batch is being written.
        var pending: [Pending] = []
        var committing = false
        /// buffered: acknowledged writes not yet handed to write(2).
        var buffer: [UInt8] = []
        var bufferedRecords = 0
        var checkpointing = false
    }

    private struct Captured: Sendable {
        let map: [String: String]
        let lsn: UInt64
    }

    let directory: WALDirectory
    let settings: Settings
    private let metrics: WALMetrics
    private let logger: Logger
    private let state: Mutex<State>
    /// The segment being appended to; only the I/O queue locks it.
    private let segment: Mutex<WALSegment>
    private let io = DispatchQueue(label: "wal-io")
    private let checkpoints = DispatchQueue(label: "wal-checkpoint")

    /// Opens the log where recovery left it.
    init(directory: WALDirectory, settings: Settings, recovered: Recovery.Result, metrics: WALMetrics, logger: Logger) throws {
        self.directory = directory
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        state = Mutex(State(map: recovered.map, nextLSN: recovered.lastLSN + 1, appliedLSN: recovered.lastLSN))
        let tail =
            if let tail = recovered.tail {
                try WALSegment(path: tail.path, firstLSN: tail.firstLSN, bytes: tail.bytes, records: tail.records)
            } else {
                try WALSegment(path: directory.segmentPath(firstLSN: recovered.lastLSN + 1), firstLSN: recovered.lastLSN + 1)
            }
        segment = Mutex(tail)
        try directory.sync()
    }

    func get(_ key: String) -> String? {
        state.withLock { $0.map[key] }
    }

    func get(_ keys: [String]) -> [String: String] {
        state.withLock { state in
            var found: [String: String] = [:]
            for key in keys { if let value = state.map[key] { found[key] = value } }
            return found
        }
    }

    var keyCount: Int { state.withLock { $0.map.count } }

    /// Returns when the write may be acknowledged — by `settings.mode`'s definition of "stored".
    func put(_ key: String, _ value: String) async throws {
        switch settings.mode {
        case .buffered:
            // BEFORE: into the userspace buffer, and "stored". The flusher writes it out later.
            let unflushed = state.withLock { state in
                let record = WALRecord(lsn: state.nextLSN, key: key, value: value)
                state.nextLSN += 1
                record.append(to: &state.buffer)
                state.bufferedRecords += 1
                state.map[key] = value
                state.appliedLSN = record.lsn
                return state.bufferedRecords
            }
            metrics.unflushed.record(unflushed)
        case .fsyncEach:
            // On disk before the answer, one record per fsync.
            try await onIO { [self] in
                let record = state.withLock { state in
                    defer { state.nextLSN += 1 }
                    return WALRecord(lsn: state.nextLSN, key: key, value: value)
                }
                try segment.withLock { segment in
                    try segment.append(record.encoded(), records: 1)
                    try sync(segment, records: 1)
                }
                state.withLock { state in
                    state.map[key] = value
                    state.appliedLSN = record.lsn
                }
                checkpointIfDue()
            }
        case .groupCommit:
            // AFTER: on disk before the answer, one fsync for everyone who arrived during the last one.
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let startsBatch = state.withLock { state in
                    state.pending.append(Pending(record: WALRecord(lsn: state.nextLSN, key: key, value: value), continuation: continuation))
                    state.nextLSN += 1
                    defer { state.committing = true }
                    return !state.committing
                }
                if startsBatch { io.async { self.commitBatches() } }
            }
        }
    }

    /// group-commit, on the I/O queue: take everything that waits, write it in one write(2), fsync once,
    /// answer them all; again, until nothing waits.
    private func commitBatches() {
        while true {
            let batch = state.withLock { state in
                let batch = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.committing = false }
                return batch
            }
            guard let last = batch.last else { return }
            var bytes: [UInt8] = []
            for waiting in batch { waiting.record.append(to: &bytes) }
            do {
                try segment.withLock { segment in
                    try segment.append(bytes, records: batch.count)
                    try sync(segment, records: batch.count)
                }
                state.withLock { state in
                    for waiting in batch { state.map[waiting.record.key] = waiting.record.value }
                    state.appliedLSN = last.record.lsn
                }
                for waiting in batch { waiting.continuation.resume() }
            } catch {
                logger.error("group commit of \(batch.count) records failed: \(error)")
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
            checkpointIfDue()
        }
    }

    /// fsyncs of the log since the store opened it.
    var fsyncCount: Int { fsyncTotal.load(ordering: .relaxed) }
    private let fsyncTotal = Atomic<Int>(0)

    private func sync(_ segment: WALSegment, records: Int) throws {
        let start = ContinuousClock.now
        try segment.sync()
        fsyncTotal.add(1, ordering: .relaxed)
        metrics.fsyncDuration.recordInterval(since: start)
        metrics.fsyncs.increment()
        metrics.syncedRecords.increment(by: records)
    }

    /// buffered: hands the userspace buffer to the kernel (write(2), no fsync). Called every FLUSH_MS.
    func flush() async throws {
        guard settings.mode == .buffered else { return }
        try await onIO { [self] in
            let inSegment = segment.withLock { $0.records }
            // The buffer and (if a checkpoint is due) the map are taken at the same instant, so the
            // checkpoint holds exactly what the segments hold once this buffer is written.
            let (bytes, records, captured) = state.withLock { state in
                let bytes = state.buffer
                let records = state.bufferedRecords
                state.buffer.removeAll(keepingCapacity: true)
                state.bufferedRecords = 0
                let due = settings.checkpointEvery > 0 && inSegment + records >= settings.checkpointEvery && !state.checkpointing
                if due { state.checkpointing = true }
                return (bytes, records, due ? Captured(map: state.map, lsn: state.appliedLSN) : nil)
            }
            metrics.unflushed.record(0)
            metrics.flushedAtOnce.record(records)
            if records > 0 {
                try segment.withLock { try $0.append(bytes, records: records) }
                metrics.flushedRecords.increment(by: records)
            }
            if let captured { rotate(to: captured) }
        }
    }

    /// fsync-each and group-commit, on the I/O queue after a write: the map holds exactly what the
    /// segments hold, so it can be captured here.
    private func checkpointIfDue() {
        guard settings.checkpointEvery > 0, segment.withLock({ $0.records }) >= settings.checkpointEvery else { return }
        let captured = state.withLock { state -> Captured? in
            guard !state.checkpointing else { return nil }
            state.checkpointing = true
            return Captured(map: state.map, lsn: state.appliedLSN)
        }
        if let captured { rotate(to: captured) }
    }

    /// A checkpoint, part 1 (I/O queue): new writes go to a new segment starting after the captured
    /// LSN. Part 2 (in the background, writes go on): the snapshot is written durably, and only then
    /// are the segments it covers deleted. Killed in between, recovery finds the old snapshot and
    /// every segment since — nothing is lost, the replay is just longer.
    private func rotate(to captured: Captured) {
        do {
            try segment.withLock { segment in
                try segment.sync()
                segment.close()
                segment = try WALSegment(path: directory.segmentPath(firstLSN: captured.lsn + 1), firstLSN: captured.lsn + 1)
            }
            try directory.sync()
        } catch {
            logger.error("checkpoint: rotating the segment failed: \(error)")
            state.withLock { $0.checkpointing = false }
            return
        }
        checkpoints.async { [self] in
            let start = ContinuousClock.now
            do {
                let bytes = try Snapshot.write(captured.map, lastLSN: captured.lsn, in: directory)
                for covered in try directory.segments() where covered.firstLSN <= captured.lsn {
                    try FileManager.default.removeItem(atPath: covered.path)
                }
                metrics.checkpoints.increment()
                metrics.checkpointSeconds.record((ContinuousClock.now - start).inSeconds)
                metrics.snapshotBytes.record(bytes)
            } catch {
                logger.error("checkpoint at LSN \(captured.lsn) failed: \(error)")
            }
            state.withLock { $0.checkpointing = false }
        }
    }

    /// Empties the store and its directory: a fresh experiment (the writer asks for it when it starts).
    func reset() async throws {
        try await onIO { [self] in
            checkpoints.sync {} // a checkpoint in progress finishes first
            try segment.withLock { segment in
                segment.close()
                try directory.removeAll()
                segment = try WALSegment(path: directory.segmentPath(firstLSN: 1), firstLSN: 1)
            }
            try directory.sync()
            state.withLock { state in
                state.map = [:]
                state.nextLSN = 1
                state.appliedLSN = 0
                state.buffer = []
                state.bufferedRecords = 0
            }
            metrics.unflushed.record(0)
        }
    }

    private func onIO<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            io.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// The log's own metrics, created at 0 when the store starts; labelled `log="store"` (the store's
/// log) or `log="bench"` (the throughput benchmark's).
struct WALMetrics: Sendable {
    let fsyncs: Counter
    /// Records made durable by an fsync (group-commit: a batch's records per fsync).
    let syncedRecords: Counter
    /// buffered: records handed to write(2) by the flusher.
    let flushedRecords: Counter
    let fsyncDuration: Timer
    /// buffered: acknowledged writes that exist only in the process's memory right now.
    let unflushed: Gauge
    /// buffered: how many acknowledged writes the last flush wrote out — until then they existed only
    /// in the process's memory. (The live gauge above, scraped every second next to a flush every
    /// second, shows whatever phase the two happen to have; this one is exact.)
    let flushedAtOnce: Gauge
    let checkpoints: Counter
    let checkpointSeconds: Gauge
    let snapshotBytes: Gauge

    init(log: String = "store") {
        let dimensions = [("log", log)]
        fsyncs = Counter(label: "wal_fsyncs_total", dimensions: dimensions)
        syncedRecords = Counter(label: "wal_synced_records_total", dimensions: dimensions)
        flushedRecords = Counter(label: "wal_flushed_records_total", dimensions: dimensions)
        fsyncDuration = Timer(label: "wal_fsync_duration_seconds", dimensions: dimensions)
        unflushed = Gauge(label: "wal_unflushed_acknowledged_writes", dimensions: dimensions)
        flushedAtOnce = Gauge(label: "wal_flushed_acknowledged_writes", dimensions: dimensions)
        checkpoints = Counter(label: "wal_checkpoints_total", dimensions: dimensions)
        checkpointSeconds = Gauge(label: "wal_checkpoint_seconds", dimensions: dimensions)
        snapshotBytes = Gauge(label: "wal_snapshot_bytes", dimensions: dimensions)
    }

    static let fsyncBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256]

    func zero() {
        for counter in [fsyncs, syncedRecords, flushedRecords, checkpoints] { counter.increment(by: 0) }
        unflushed.record(0)
        flushedAtOnce.record(0)
        checkpointSeconds.record(0)
        snapshotBytes.record(0)
    }
}
