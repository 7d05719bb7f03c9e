import Foundation
import LabKit
import Logging
import Metrics

/// What durability costs the log itself, without HTTP in the way: `writers` concurrent tasks call
/// `put` on a scratch log (in `<DATA_DIR>-bench/`, removed afterwards) — with `fsync-each` (the
/// baseline: one fsync per write), then with this store's own COMMIT, in alternating slices, so both
/// see the same disk at the same moments (this machine's fsync time swings tenfold within seconds
/// when other work writes to the disk).
///
/// With fsync-each the writers queue behind one fsync at a time, however many there are; with group
/// commit everyone who arrived during an fsync shares the next one, so throughput grows with the
/// writers until the CPU, not the disk, is the limit. A single writer gains nothing. (`buffered`
/// writes only to memory: its figure is the ceiling of not being durable at all.)
///
///     POST /bench {"writers": [1, 8, 64], "seconds": 0.6}   (seconds per run and writer count)
///     → wal_bench_writes_per_second{run="baseline|store", commit="…", writers="64"},
///       wal_bench_writes_per_fsync{…}
enum LogThroughputBenchmark {
    struct Result: Sendable {
        /// `baseline` (fsync-each) or `store` (the store's own COMMIT).
        let run: String
        let mode: CommitMode
        let writers: Int
        var writes = 0
        var fsyncs = 0
        var seconds = 0.0
        var writesPerSecond: Double { seconds == 0 ? 0 : Double(writes) / seconds }
        var writesPerFsync: Double { fsyncs == 0 ? 0 : Double(writes) / Double(fsyncs) }
    }

    static let writerCounts = [1, 8, 64]
    static let slices = 6

    /// The gauges, at 0 until a run.
    static func zero(store mode: CommitMode) {
        for writers in writerCounts {
            record(Result(run: "baseline", mode: .fsyncEach, writers: writers))
            record(Result(run: "store", mode: mode, writers: writers))
        }
    }

    static func record(_ result: Result) {
        let dimensions = [("run", result.run), ("commit", result.mode.rawValue), ("writers", String(result.writers))]
        Gauge(label: "wal_bench_writes_per_second", dimensions: dimensions).record(result.writesPerSecond)
        Gauge(label: "wal_bench_writes_per_fsync", dimensions: dimensions).record(result.writesPerFsync)
    }

    /// The baseline and the store's mode at `writers`, `seconds` each, in alternating slices.
    static func run(store mode: CommitMode, writers: Int, seconds: Double, next to: WALDirectory, logger: Logger) async throws -> [Result] {
        var results = [Result(run: "baseline", mode: .fsyncEach, writers: writers), Result(run: "store", mode: mode, writers: writers)]
        for slice in 0..<slices {
            let order = slice.isMultiple(of: 2) ? Array(results.indices) : results.indices.reversed()
            for index in order {
                let (writes, fsyncs, elapsed) = try await measure(
                    results[index].mode, writers: writers, seconds: seconds / Double(slices), next: to, logger: logger)
                results[index].writes += writes
                results[index].fsyncs += fsyncs
                results[index].seconds += elapsed
            }
        }
        for result in results { record(result) }
        return results
    }

    private static func measure(
        _ mode: CommitMode, writers: Int, seconds: Double, next to: WALDirectory, logger: Logger
    ) async throws -> (writes: Int, fsyncs: Int, seconds: Double) {
        let directory = WALDirectory(path: to.path + "-bench")
        try? FileManager.default.removeItem(atPath: directory.path)
        try directory.create()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let store = try LoggedKVStore(
            directory: directory, settings: .init(mode: mode, checkpointEvery: 0), recovered: Recovery.Result(),
            metrics: WALMetrics(log: "bench"), logger: logger)
        let value = String(repeating: "v", count: 100)
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        let writes = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let keys = (0..<64).map { "bench-\(writer)-\($0)" }
                    var count = 0
                    while clock.now < end {
                        try await store.put(keys[count % 64], value)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return (writes, store.fsyncCount, (clock.now - start).inSeconds)
    }
}

/// Replay time against the log's length: scratch logs of each length (1000 keys, 100-byte values,
/// no checkpoint) replayed the way the store replays its own on start — in alternating rounds, the
/// best of five for each length, so a stall or a burst of other work (which only ever adds time)
/// does not land on one length and not the other.
///
///     POST /bench/replay {"records": [2000, 20000]} → wal_bench_replay_seconds{records="20000"}
enum ReplayBenchmark {
    static let recordCounts = [2_000, 20_000]
    static let rounds = 5

    static func zero() {
        for records in recordCounts { Gauge(label: "wal_bench_replay_seconds", dimensions: [("records", String(records))]).record(0) }
    }

    static func run(records counts: [Int], next to: WALDirectory, logger: Logger) async throws -> [Recovery.Result] {
        var directories: [WALDirectory] = []
        defer { for directory in directories { try? FileManager.default.removeItem(atPath: directory.path) } }
        for records in counts {
            let directory = WALDirectory(path: to.path + "-replay-\(records)")
            try? FileManager.default.removeItem(atPath: directory.path)
            try directory.create()
            directories.append(directory)
            let store = try LoggedKVStore(
                directory: directory, settings: .init(mode: .buffered, checkpointEvery: 0), recovered: Recovery.Result(),
                metrics: WALMetrics(log: "bench"), logger: logger)
            let value = String(repeating: "v", count: 100)
            for n in 0..<records { try await store.put("r\(n % 1000)", value) }
            try await store.flush()
        }
        var best: [Recovery.Result?] = Array(repeating: nil, count: counts.count)
        for round in 0..<rounds {
            let order = round.isMultiple(of: 2) ? Array(counts.indices) : counts.indices.reversed()
            for index in order {
                let replay = try Recovery.run(in: directories[index])
                if best[index].map({ replay.replaySeconds < $0.replaySeconds }) ?? true { best[index] = replay }
            }
        }
        let results = best.compactMap { $0 }
        for (records, result) in zip(counts, results) {
            Gauge(label: "wal_bench_replay_seconds", dimensions: [("records", String(records))]).record(result.replaySeconds)
        }
        return results
    }
}
