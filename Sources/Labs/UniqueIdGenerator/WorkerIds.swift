import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Where a generator gets its worker id (`WORKER_IDS`).
enum WorkerIdSource: String, Sendable, CaseIterable {
    /// BEFORE: ask the registry once at start; it hands out the next number of a counter in its memory.
    case registry
    /// AFTER: lease one in Redis (`SET worker-id:<n> <owner> NX PX <ttl>`), renewed every third of the TTL.
    case lease
}

/// The worker id this generator may use right now: set once (registry) or while a lease is valid.
final class WorkerIdHolder: Sendable {
    private struct Held {
        var id: Int
        /// The lease's end on this process's monotonic clock (nil: no lease, held for good).
        var validUntil: ContinuousClock.Instant?
    }

    private let held = Mutex<Held?>(nil)
    private let reason = Mutex("not assigned yet")
    private let gauge = Gauge(label: "id_generator_worker_id")

    init() { gauge.record(-1) }

    /// The id, or nil when none is held (not yet, or the lease ran out without a renewal).
    var current: Int? {
        held.withLock { held in
            guard let held else { return nil }
            if let end = held.validUntil, ContinuousClock.now >= end { return nil }
            return held.id
        }
    }

    var why: String { reason.withLock { $0 } }

    func set(_ id: Int, validUntil: ContinuousClock.Instant?) {
        held.withLock { $0 = Held(id: id, validUntil: validUntil) }
        gauge.record(id)
    }

    func extend(until end: ContinuousClock.Instant) {
        held.withLock { $0?.validUntil = end }
    }

    func clear(_ why: String) {
        held.withLock { $0 = nil }
        reason.withLock { $0 = why }
        gauge.record(-1)
    }
}

/// BEFORE: `POST {REGISTRY_URL}/workers` once, at start (retried until the registry answers).
/// Nothing ever tells the generator that the registry has forgotten it.
enum RegistryWorkerId {
    static func obtain(from registry: PeerClient, instance: String, into holder: WorkerIdHolder, logger: Logger) async throws {
        while true {
            do {
                let reply = try await registry.post("/workers", json: ["instance": .string(instance)], timeout: .seconds(2))
                if reply.isSuccess, let id = reply.json["worker_id"]?.intValue {
                    holder.set(id, validUntil: nil)
                    logger.info("worker id \(id) from the registry")
                    return
                }
                logger.warning("registry answered \(reply.status): \(reply.text)")
            } catch {
                logger.warning("registry: \(error)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// AFTER: a worker id leased in Redis, renewed while this process lives (LabKit's `RedisLease`).
///
/// Taking one: `SET worker-id:<n> <owner> NX PX <ttl>` for n = 0, 1, 2, … until one is free. The owner
/// is unique per process start, so a restarted generator is a new owner: the id its previous life held
/// stays taken until that lease expires, and it gets another one. Renewing: every TTL/3, a
/// compare-and-`PEXPIRE`. The generator uses the id only until `(when the last successful renewal was
/// sent) + TTL`, on its monotonic clock — by then Redis may have expired the key and handed it to
/// someone else — so a generator cut off from Redis stops minting instead of sharing its id.
struct LeasedWorkerId: Service {
    let redis: RedisClient
    let owner: String
    let ttl: Duration
    let holder: WorkerIdHolder
    let logger: Logger
    private let renewed = Counter(label: "id_generator_lease_renewals_total", dimensions: [("result", "renewed")])
    private let lost = Counter(label: "id_generator_lease_renewals_total", dimensions: [("result", "lost")])
    private let failed = Counter(label: "id_generator_lease_renewals_total", dimensions: [("result", "error")])

    init(redis: RedisClient, owner: String, ttl: Duration, holder: WorkerIdHolder, logger: Logger) {
        self.redis = redis
        self.owner = owner
        self.ttl = ttl
        self.holder = holder
        self.logger = logger
        for counter in [renewed, lost, failed] { counter.increment(by: 0) }
    }

    static func key(_ id: Int) -> String { "worker-id:\(id)" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lease: RedisLease?
            while !Task.isCancelled {
                do {
                    if let held = lease {
                        let sent = ContinuousClock.now
                        if try await held.renew() {
                            holder.extend(until: sent + ttl)
                            renewed.increment()
                        } else {
                            lost.increment()
                            holder.clear("the lease on \(held.key) expired before it was renewed")
                            logger.warning("lost the lease on \(held.key): leasing another worker id")
                            lease = nil
                            continue
                        }
                    } else {
                        lease = try await acquire()
                        if lease == nil {
                            holder.clear("every worker id is leased")
                            logger.warning("every one of the \(SnowflakeId.workerIds) worker ids is leased")
                        }
                    }
                } catch {
                    failed.increment()
                    logger.warning("lease: \(error)")
                }
                try? await Task.sleep(for: lease == nil ? .milliseconds(200) : ttl / 3)
            }
            if let lease { _ = try? await lease.release() }
        }
    }

    /// The first free worker id, leased to this process.
    private func acquire() async throws -> RedisLease? {
        for id in 0..<SnowflakeId.workerIds {
            let lease = RedisLease(redis: redis, key: Self.key(id), owner: owner, ttl: ttl)
            let sent = ContinuousClock.now
            if try await lease.acquire() {
                holder.set(id, validUntil: sent + ttl)
                logger.info("leased worker id \(id) (\(lease.key), TTL \(ttl))")
                return lease
            }
        }
        return nil
    }
}
