import Foundation
import LabKit
import Metrics
import Synchronization

/// LEAKY BUCKET, for real: a queue, not a counter. Each client's bucket is a Redis list of waiting
/// requests, LEAKY_QUEUE long at most. A request joins the tail (one script: the length check and the
/// RPUSH in one step) or, when the list is full, is refused at once. A drainer empties the list from
/// the head at a fixed rate, one request every WINDOW_MS / LIMIT, and only then is the request
/// answered. So a burst does not go through as a burst: it leaves as an even stream (the output is
/// flat, whatever came in), and the price is the wait, about (requests ahead of it) / rate, up to
/// LEAKY_QUEUE / rate for the last one in.
///
/// The release script is the pacemaker: it lets a request out only if the last one left at least one
/// interval ago (by Redis's clock), and a late drainer does not catch up with a burst, so no two
/// releases are ever closer than the interval. One drainer task runs per non-empty queue; the requests
/// wait in this process (one limiter: the request that is released is one of ours).
final class LeakyBucketQueue: Sendable {
    struct Release: Sendable {
        var atMicros: Int
    }

    let redis: RedisClient
    let capacity: Int
    let intervalMicros: Int
    let metrics: LeakyBucketMetrics
    private let waiting = Mutex(Waiting())
    /// Keys with a drainer running; `true` when a request joined since the drainer last looked.
    private let drainers = Mutex<[String: Bool]>([:])

    private struct Waiting {
        var continuations: [String: CheckedContinuation<Release, Never>] = [:]
        var releasedEarly: [String: Release] = [:]
    }

    init(redis: RedisClient, capacity: Int, intervalMicros: Int, metrics: LeakyBucketMetrics) {
        self.redis = redis
        self.capacity = capacity
        self.intervalMicros = intervalMicros
        self.metrics = metrics
    }

    /// Queues the request and returns when the drainer releases it, or at once when the queue is full.
    func check(_ key: String, requestID: String) async throws -> RateLimitDecision {
        let queueKey = "leaky:\(key):queue"
        let reply = try await redis.run(
            Self.enqueue, keys: [queueKey], args: [RedisArgument(capacity), RedisArgument(requestID), RedisArgument(ttlMilliseconds)])
        guard let fields = reply.array, fields.count == 3, let queued = fields[0].int, let length = fields[1].int, let now = fields[2].int
        else { throw RedisError.protocolError("leaky bucket: unexpected enqueue reply \(reply)") }
        metrics.joined(key: key, length: length, queued: queued == 1)
        guard queued == 1 else {
            return RateLimitDecision(admitted: false, decidedAtMicros: now, detail: ["queue_length": .number(Double(length))])
        }
        startDrainer(key)
        let release = await released(requestID)
        let waited = Double(release.atMicros - now) / 1_000_000
        metrics.waited(seconds: waited)
        return RateLimitDecision(
            admitted: true, decidedAtMicros: release.atMicros,
            detail: ["queue_position": .number(Double(length)), "queued_at_us": .number(Double(now)), "waited_seconds": .number(waited)])
    }

    private var ttlMilliseconds: Int { max(10_000, (capacity + 2) * intervalMicros / 1_000 * 2) }

    private func released(_ requestID: String) async -> Release {
        await withCheckedContinuation { continuation in
            waiting.withLock { waiting in
                if let release = waiting.releasedEarly.removeValue(forKey: requestID) {
                    continuation.resume(returning: release)
                } else {
                    waiting.continuations[requestID] = continuation
                }
            }
        }
    }

    private func resume(_ requestID: String, with release: Release) {
        let continuation = waiting.withLock { waiting in
            let continuation = waiting.continuations.removeValue(forKey: requestID)
            if continuation == nil { waiting.releasedEarly[requestID] = release }
            return continuation
        }
        continuation?.resume(returning: release)
    }

    private func startDrainer(_ key: String) {
        let start = drainers.withLock { running in
            if running[key] != nil {
                running[key] = true // the running drainer looks again before it stops
                return false
            }
            running[key] = false
            return true
        }
        // Detached, a trace of its own (`leaky bucket drain`: one release script every interval), not
        // part of the request that happened to find the queue idle.
        if start {
            Task.detached {
                await withSpan("leaky bucket drain") { span in
                    span.attributes["ratelimit.client_key"] = key
                    await self.drain(key)
                }
            }
        }
    }

    /// Releases the head of `key`'s queue once per interval until the queue is empty.
    private func drain(_ key: String) async {
        let keys = ["leaky:\(key):queue", "leaky:\(key):last"]
        while true {
            drainers.withLock { $0[key] = false }
            let reply: RESPValue
            do {
                reply = try await redis.run(
                    Self.release, keys: keys, args: [RedisArgument(intervalMicros), RedisArgument(ttlMilliseconds)])
            } catch {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            let fields = reply.array ?? []
            switch fields.first?.int {
            case 1:
                guard fields.count == 4, let id = fields[1].string, let at = fields[2].int, let left = fields[3].int else { continue }
                metrics.released(key: key, length: left)
                resume(id, with: Release(atMicros: at))
            case 0:
                // Too early: the last request left less than an interval ago.
                let wait = fields.count > 1 ? (fields[1].int ?? 1_000) : 1_000
                try? await Task.sleep(for: .microseconds(wait))
            default:
                let stop = drainers.withLock { running in
                    if running[key] == true { return false }
                    running[key] = nil
                    return true
                }
                if stop { return }
            }
        }
    }

    /// KEYS[1] the queue; ARGV capacity, request id, ttl (ms). {1, length, now} queued, {0, length, now} full.
    static let enqueue = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local length = redis.call('LLEN', KEYS[1])
        if length >= tonumber(ARGV[1]) then return {0, length, now} end
        length = redis.call('RPUSH', KEYS[1], ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return {1, length, now}
        """)

    /// KEYS[1] the queue, KEYS[2] when the last request left (µs); ARGV interval (µs), ttl (ms).
    /// {1, id, now, length left} released, {0, µs to wait} too early, {-1} empty.
    static let release = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local interval = tonumber(ARGV[1])
        local last = tonumber(redis.call('GET', KEYS[2]) or '0')
        if now < last + interval then return {0, last + interval - now} end
        local id = redis.call('LPOP', KEYS[1])
        if not id then return {-1} end
        redis.call('SET', KEYS[2], string.format('%.0f', now), 'PX', ARGV[2])
        return {1, id, now, redis.call('LLEN', KEYS[1])}
        """)
}

/// `leaky_bucket_queue_length` (every client's queue, added up), `leaky_bucket_wait_seconds` (joined
/// the queue → released, by Redis's clock), `leaky_bucket_released_total`, `leaky_bucket_refused_total`.
final class LeakyBucketMetrics: Sendable {
    private let lengths = Mutex<[String: Int]>([:])
    private let queueLength = Gauge(label: "leaky_bucket_queue_length")
    private let wait = Timer(label: "leaky_bucket_wait_seconds", preferredDisplayUnit: .seconds)
    private let releasedCount = Counter(label: "leaky_bucket_released_total")
    private let refusedCount = Counter(label: "leaky_bucket_refused_total")

    init() {
        queueLength.record(0)
        releasedCount.increment(by: 0)
        refusedCount.increment(by: 0)
    }

    func joined(key: String, length: Int, queued: Bool) {
        if !queued { refusedCount.increment() }
        record(key: key, length: length)
    }

    func released(key: String, length: Int) {
        releasedCount.increment()
        record(key: key, length: length)
    }

    func waited(seconds: Double) { wait.recordNanoseconds(Int64(seconds * 1e9)) }

    private func record(key: String, length: Int) {
        let total = lengths.withLock { lengths in
            if length == 0 { lengths[key] = nil } else { lengths[key] = length }
            return lengths.values.reduce(0, +)
        }
        queueLength.record(total)
    }
}
