import Foundation
import LabKit
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization

/// The key-value service. On start it replays its log (after the last checkpoint: only the tail);
/// `/readyz` (and every route) answers 503 until the replay is done; then:
///
///     PUT /kv/{key} (body: the value) → 204 once stored — as COMMIT defines "stored"
///     GET /kv/{key} → the value | 404          POST /kv/mget ["k1", …] → {"k1": "…", …}
///     DELETE /kv → everything goes (the writer's fresh start)          GET /wal → the log's state
///     POST /bench {"writers": [1, 8, 64], "seconds": 0.8} → the log's own throughput, fsync-each against this store's COMMIT
///     POST /bench/replay {"records": [2000, 20000]} → replay time against the log's length
///
/// Gauges of the replay: `wal_replay_seconds`, `wal_replay_records`, `wal_replay_bytes`,
/// `wal_snapshot_load_seconds`, `wal_snapshot_keys`, `wal_torn_tail_bytes`, `wal_recovery_seconds`;
/// of the log on disk: `wal_bytes`, `wal_segments`.
enum KeyValueStoreService {
    static let commitKnob = Knob<CommitMode>.choice(
        "COMMIT", default: .buffered,
        "when a write is acknowledged: `buffered` (in a userspace buffer, flushed every FLUSH_MS), `fsync-each` (write + fsync per write), `group-commit` (write + fsync per batch)"
    )
    static let flushKnob = Knob.milliseconds(
        "FLUSH_MS", default: 1_000, in: 1...600_000, "buffered: how often the userspace buffer is written to the log (write(2), no fsync)")
    static let checkpointKnob = Knob.wholeNumber(
        "CHECKPOINT_RECORDS", default: 0, in: 0...100_000_000,
        "checkpoint (snapshot the map, start a new segment, delete the old ones) every this many records; 0: never")
    static let dataDirKnob = Knob.string(
        "DATA_DIR", default: "data/store",
        "where the log segments and the snapshot live; a relative path is under the working directory, which the native runtime sets to the lab's state directory (.lab/<lab id>/)"
    )
    static let knobs: [any LabKnob] = [commitKnob, flushKnob, checkpointKnob, dataDirKnob]

    static func build(_ service: LabService) async throws {
        let logger = service.context.logger
        let settings = LoggedKVStore.Settings(
            mode: try service.knobs.read(commitKnob), checkpointEvery: try service.knobs.read(checkpointKnob))
        let directory = WALDirectory(path: URL(fileURLWithPath: try service.knobs.read(dataDirKnob)).standardizedFileURL.path)
        service.telemetry.registry.configureBuckets(forMetric: "wal_fsync_duration_seconds", WALMetrics.fsyncBuckets)
        let acknowledged = Counter(label: "kv_writes_acknowledged_total")
        acknowledged.increment(by: 0)

        // The replay runs when the service starts; `/readyz` answers 503 until it is done, and so do
        // the routes: the store is not ready until its map is what the log says.
        let opened = OpenedStore()
        let flushes = FlushSchedule(every: try service.knobs.read(flushKnob))
        service.addService(
            LogRecovery(directory: directory, settings: settings, flushes: flushes, opened: opened, logger: logger))
        service.addReadinessCheck("log replayed") {
            guard opened.store != nil else { throw LabStartupError("replaying the log") }
        }
        service.addService(LogSizeGauges(directory: directory))
        recordRecovery(Recovery.Result(), seconds: 0)

        service.router.put("/kv/:key") { request, context -> Response in
            guard let key = context.parameters.get("key") else { return .jsonError("no key", status: .badRequest) }
            guard let store = opened.store else { return .jsonError("replaying the log", status: .serviceUnavailable) }
            let body = try await request.body.collect(upTo: 64 * 1024)
            try await store.put(key, String(buffer: body))
            acknowledged.increment()
            return Response(status: .noContent)
        }
        // buffered: write the buffer out now and start the next interval from now (the scenario calls
        // it half an interval before its kill); the other modes have no buffer, so nothing happens.
        service.router.post("/flush") { _, _ -> Response in
            guard let store = opened.store else { return .jsonError("replaying the log", status: .serviceUnavailable) }
            flushes.restart()
            try await store.flush()
            return Response(status: .noContent)
        }
        service.router.get("/kv/:key") { _, context -> Response in
            guard let store = opened.store else { return .jsonError("replaying the log", status: .serviceUnavailable) }
            guard let key = context.parameters.get("key"), let value = store.get(key) else {
                return .jsonError("no such key", status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: value)))
        }
        service.router.post("/kv/mget") { request, _ -> Response in
            guard let store = opened.store else { return .jsonError("replaying the log", status: .serviceUnavailable) }
            let body = try await request.body.collect(upTo: 16 * 1024 * 1024)
            guard case .array(let names) = try JSONValue.parse(body.readableBytesView) else {
                return .jsonError("expected a JSON array of keys", status: .badRequest)
            }
            let found = store.get(names.compactMap { if case .string(let key) = $0 { key } else { nil } })
            return .json(.object(found.mapValues { .string($0) }))
        }
        service.router.delete("/kv") { _, _ -> Response in
            guard let store = opened.store else { return .jsonError("replaying the log", status: .serviceUnavailable) }
            try await store.reset()
            logger.info("reset: the map and the log are empty")
            return Response(status: .noContent)
        }
        LogThroughputBenchmark.zero(store: settings.mode)
        service.router.post("/bench") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 4096)
            let options = (try? JSONValue.parse(body.readableBytesView)) ?? .null
            var writerCounts = LogThroughputBenchmark.writerCounts
            var seconds = 0.8
            if case .object(let fields) = options {
                if case .array(let counts) = fields["writers"] {
                    writerCounts = counts.compactMap { if case .number(let n) = $0, n >= 1, n <= 1024 { Int(n) } else { nil } }
                }
                if case .number(let s) = fields["seconds"], s > 0, s <= 30 { seconds = s }
            }
            var runs: [JSONValue] = []
            for writers in writerCounts {
                for result in try await LogThroughputBenchmark.run(
                    store: settings.mode, writers: writers, seconds: seconds, next: directory, logger: logger)
                {
                    logger.info(
                        "bench",
                        metadata: [
                            "run": "\(result.run)", "commit": "\(result.mode.rawValue)", "writers": "\(writers)",
                            "writes_per_second": "\(Int(result.writesPerSecond))", "writes_per_fsync": "\(result.writesPerFsync)",
                        ])
                    runs.append([
                        "run": .string(result.run), "commit": .string(result.mode.rawValue), "writers": .number(Double(writers)),
                        "writes_per_second": .number(result.writesPerSecond.rounded()), "writes_per_fsync": .number(result.writesPerFsync),
                    ])
                }
            }
            return .json(["runs": .array(runs)])
        }
        ReplayBenchmark.zero()
        service.router.post("/bench/replay") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 4096)
            var counts = ReplayBenchmark.recordCounts
            if case .object(let fields) = (try? JSONValue.parse(body.readableBytesView)) ?? .null,
                case .array(let given) = fields["records"]
            {
                counts = given.compactMap { if case .number(let n) = $0, n >= 1, n <= 1_000_000 { Int(n) } else { nil } }
            }
            var runs: [JSONValue] = []
            for (records, recovered) in zip(counts, try await ReplayBenchmark.run(records: counts, next: directory, logger: logger)) {
                logger.info("replay bench", metadata: ["records": "\(records)", "seconds": "\(recovered.replaySeconds)"])
                runs.append([
                    "records": .number(Double(recovered.replayedRecords)), "bytes": .number(Double(recovered.replayedBytes)),
                    "seconds": .number(recovered.replaySeconds),
                ])
            }
            return .json(["runs": .array(runs)])
        }
        service.router.get("/wal") { _, _ -> Response in
            guard let store = opened.store, let recovery = opened.recovery else {
                return .jsonError("replaying the log", status: .serviceUnavailable)
            }
            let segments = (try? directory.segments()) ?? []
            return .json([
                "commit": .string(settings.mode.rawValue), "directory": .string(directory.path), "keys": .number(Double(store.keyCount)),
                "segments": .array(segments.map { .string(($0.path as NSString).lastPathComponent) }),
                "recovery": [
                    "seconds": .number(recovery.seconds), "snapshot_keys": .number(Double(recovery.result.snapshotKeys)),
                    "replayed_records": .number(Double(recovery.result.replayedRecords)),
                    "replayed_bytes": .number(Double(recovery.result.replayedBytes)),
                    "truncated_bytes": .number(Double(recovery.result.truncatedBytes)),
                    "torn": recovery.result.tornReason.map { .string($0) } ?? .null,
                ],
            ])
        }
    }

    static func recordRecovery(_ recovered: Recovery.Result, seconds: Double) {
        Gauge(label: "wal_recovery_seconds").record(seconds)
        Gauge(label: "wal_replay_seconds").record(recovered.replaySeconds)
        Gauge(label: "wal_replay_records").record(recovered.replayedRecords)
        Gauge(label: "wal_replay_bytes").record(recovered.replayedBytes)
        Gauge(label: "wal_snapshot_load_seconds").record(recovered.snapshotSeconds)
        Gauge(label: "wal_snapshot_keys").record(recovered.snapshotKeys)
        Gauge(label: "wal_torn_tail_bytes").record(recovered.truncatedBytes)
    }
}

/// The store once its log is replayed (nil until then), and what the replay found.
final class OpenedStore: Sendable {
    struct Recovered: Sendable {
        let result: Recovery.Result
        let seconds: Double
    }

    private let state = Mutex<(store: LoggedKVStore?, recovery: Recovered?)>((nil, nil))

    var store: LoggedKVStore? { state.withLock { $0.store } }
    var recovery: Recovered? { state.withLock { $0.recovery } }

    func open(_ store: LoggedKVStore, _ recovery: Recovered) {
        state.withLock { $0 = (store, recovery) }
    }
}

/// Replay on start: the snapshot, then the log's tail (`Recovery`); then the store opens the last
/// segment for appending and starts answering. In `buffered` mode it then flushes the userspace
/// buffer every FLUSH_MS (or FLUSH_MS after a `POST /flush`); a graceful stop (SIGTERM) flushes once
/// more — kill -9 leaves no chance to.
struct LogRecovery: Service {
    let directory: WALDirectory
    let settings: LoggedKVStore.Settings
    let flushes: FlushSchedule
    let opened: OpenedStore
    let logger: Logger

    func run() async throws {
        try directory.create()
        let start = ContinuousClock.now
        let recovered = try Recovery.run(in: directory)
        let seconds = (ContinuousClock.now - start).inSeconds
        KeyValueStoreService.recordRecovery(recovered, seconds: seconds)
        logger.info(
            "recovered",
            metadata: [
                "directory": "\(directory.path)", "snapshot_keys": "\(recovered.snapshotKeys)",
                "replayed_records": "\(recovered.replayedRecords)", "replayed_bytes": "\(recovered.replayedBytes)",
                "truncated_bytes": "\(recovered.truncatedBytes)", "torn": "\(recovered.tornReason ?? "none")", "seconds": "\(seconds)",
            ])
        let metrics = WALMetrics()
        metrics.zero()
        let store = try LoggedKVStore(directory: directory, settings: settings, recovered: recovered, metrics: metrics, logger: logger)
        opened.open(store, .init(result: recovered, seconds: seconds))

        guard settings.mode == .buffered else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(until: flushes.next, clock: .continuous)
                guard flushes.claimIfDue() else { continue }
                do { try await store.flush() } catch { logger.error("flush: \(error)") }
            }
        }
        try? await store.flush()
    }
}

/// `wal_bytes` and `wal_segments`: the log on disk, every 500 ms.
struct LogSizeGauges: Service {
    let directory: WALDirectory

    func run() async throws {
        let bytes = Gauge(label: "wal_bytes")
        let segments = Gauge(label: "wal_segments")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let files = (try? directory.segments()) ?? []
                let sizes = files.map { (try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int) ?? 0 }
                bytes.record(sizes.reduce(0, +))
                segments.record(files.count)
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
