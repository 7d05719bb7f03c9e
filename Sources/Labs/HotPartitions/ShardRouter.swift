import Foundation
import HTTPTypes
import LabKit
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization

/// KEY IDEA: spreading KEYS evenly over shards does not spread LOAD evenly. One celebrity key with
/// half the traffic puts half the traffic on one shard; that shard's capacity is fixed, so its queue
/// grows until requests time out, and every other key that happens to live there times out with it,
/// while the other shards idle. Adding shards does not help (the key still lives on one). The cure
/// has two halves: DETECT the key (a small sketch of the top keys over a short window, no per-key
/// metric), then SPLIT its load: salt it into copies on several shards and spread its reads (writes
/// pay: they go to every copy), or absorb its reads in a coalescing cache in front of the shards.
///
///     GET /kv/{key}       → the value from the key's shard (or a salted copy, or the hot-key cache);
///                           `x-shard: shard-2`, `x-served-by: home|copy|cache`
///     PUT /kv/{key}       → 204, written to the key's shard (and every copy while it is salted)
///     GET /admin/top-keys → the last window: the top keys with their counts, the hot ones, the
///                           salted ones, each key's shard (read-only; the keys are for a human,
///                           never a metric label)
enum ShardRouter {
    static let shardHeader = HTTPField.Name("x-shard")!
    static let servedByHeader = HTTPField.Name("x-served-by")!

    static func build(_ service: LabService) async throws {
        let settings = try ShardRouterSettings(service.knobs)
        // Buckets 5 % apart: a shard's p99 is read within 5 %, not snapped to 0.1 / 0.15 / 1.25 s.
        service.telemetry.registry.configureBuckets(forMetric: "shard_request_duration_seconds", LatencyBuckets.fine)
        service.telemetry.registry.configureBuckets(forMetric: "http_server_request_duration_seconds", LatencyBuckets.wide)
        // Enough connections that a shard's own queue (and its 1 s timeout) is where requests wait,
        // not a connection pool in the router (the shared client allows 64 per host).
        let connections = service.connectionPool(name: "shards", size: 512, maxWait: settings.shardTimeout)
        let clients = try service.context.peers("shard", timeout: settings.shardTimeout).map { client in
            var client = client
            client.pool = connections
            return client
        }
        let table = ShardTable(clients: clients)
        let detector = HotKeyDetector(counters: settings.counters, threshold: settings.hotShare, minimumRequests: 20)
        let salting = HotKeySalting(table: table, copies: settings.copies)
        let cache = HotKeyCache(ttl: settings.cacheTTL)
        let watch = HotKeyWatch(
            settings: settings, detector: detector, salting: salting, cache: cache, table: table, logger: service.context.logger)
        service.addService(watch)
        let reads = Counter(label: "kv_requests_total", dimensions: [("operation", "get")])
        let writes = Counter(label: "kv_requests_total", dimensions: [("operation", "put")])
        reads.increment(by: 0)
        writes.increment(by: 0)
        // Each write's version: newer than any earlier write of this router, so copies converge.
        let stamp = Atomic<UInt64>(UInt64(Date().timeIntervalSince1970 * 1_000_000))

        service.addSetup("seed the shards") { progress in
            progress.report("storing user-1 ... user-\(settings.seedKeys) on \(table.count) shards")
            try await table.seed((0..<settings.seedKeys).map { (key: "user-\($0 + 1)", value: #"{"user": \#($0 + 1)}"#) })
        }

        service.router.get("/kv/:key") { _, context -> Response in
            guard let key = context.parameters.get("key"), !key.isEmpty, !key.contains("~") else {
                return .jsonError("a key is a non-empty name without '~' (salted copies use it)", status: .badRequest)
            }
            reads.increment()
            detector.record(key)
            let home = table.shard(of: key)
            if settings.mitigation == .salt, let copy = salting.readCopy(of: key) {
                return answer(
                    await table.get(copy.key, on: copy.shard), shard: table.names[copy.shard],
                    servedBy: copy.shard == home ? "home" : "copy")
            }
            if settings.mitigation == .cache, watch.isMitigated(key) {
                return answer(await cache.get(key) { await table.get(key, on: home) }, shard: table.names[home], servedBy: "cache")
            }
            return answer(await table.get(key, on: home), shard: table.names[home], servedBy: "home")
        }

        service.router.put("/kv/:key") { request, context -> Response in
            guard let key = context.parameters.get("key"), !key.isEmpty, !key.contains("~") else {
                return .jsonError("a key is a non-empty name without '~' (salted copies use it)", status: .badRequest)
            }
            guard let body = try? await request.body.collect(upTo: ShardServer.maxValueBytes), body.readableBytes > 0 else {
                return .jsonError("the body is the value: 1 to \(ShardServer.maxValueBytes) bytes", status: .badRequest)
            }
            writes.increment()
            detector.record(key)
            let value = String(buffer: body)
            let version = stamp.wrappingAdd(1, ordering: .relaxed).newValue
            let home = table.shard(of: key)
            // A salted key: every copy (the write amplification); otherwise its shard only.
            let targets = salting.writeCopies(of: key) ?? [HotKeySalting.Copy(key: key, shard: home)]
            let replies = await withTaskGroup(of: ShardTable.Reply.self) { group in
                for copy in targets { group.addTask { await table.put(copy.key, value, version: version, on: copy.shard) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            cache.invalidate(key)
            return answer(
                replies.first { !$0.succeeded } ?? .written, shard: table.names[home], servedBy: targets.count > 1 ? "copies" : "home")
        }

        service.router.get("/admin/top-keys") { _, _ -> JSONValue in
            let window = detector.lastWindow
            let total = Double(max(window.total, 1))
            return [
                "window_ms": .number(Double(settings.window / .milliseconds(1))), "window_requests": .number(Double(window.total)),
                "hot_threshold_share": .number(settings.hotShare), "mitigation": .string(settings.mitigation.rawValue),
                "sketch_counters": .number(Double(settings.counters)),
                "top": .array(
                    window.top.map { counter in
                        [
                            "key": .string(counter.key), "count": .number(Double(counter.count)), "error": .number(Double(counter.error)),
                            "guaranteed_share": .number((Double(counter.guaranteed) / total * 1_000).rounded() / 1_000),
                            "shard": .string(table.names[table.shard(of: counter.key)]),
                        ]
                    }),
                "hot": .array(window.hot.map { .string($0) }),
                "mitigated": .array(watch.mitigatedKeys.map { .string($0) }),
                "salted_copies": .object(
                    Dictionary(
                        uniqueKeysWithValues: salting.saltedKeys.map { key in
                            (key, JSONValue.array(salting.placement(of: key).map { .string("\($0.key)@\(table.names[$0.shard])") }))
                        })),
            ]
        }
    }

    private static func answer(_ reply: ShardTable.Reply, shard: String, servedBy: String) -> Response {
        var response: Response
        switch reply {
        case .value(let value, _):
            response = Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value)))
        case .notFound: response = .jsonError("no such key", status: .notFound)
        case .written: response = Response(status: .noContent)
        case .timeout(let why): response = .jsonError(why, status: .serviceUnavailable)
        case .failed(let why): response = .jsonError(why, status: .badGateway)
        }
        response.headers[shardHeader] = shard
        response.headers[servedByHeader] = servedBy
        return response
    }
}

/// Detection → mitigation: every HOT_KEY_WINDOW_MS closes the detector's window; a key flagged hot
/// is mitigated (salted or cached, per MITIGATION), and stays so until its share falls below half
/// the threshold (hysteresis: a key near the threshold does not flap). With MITIGATION=none the
/// detector still runs and reports; nothing acts on it.
final class HotKeyWatch: Service, Sendable {
    let settings: ShardRouterSettings
    let detector: HotKeyDetector
    let salting: HotKeySalting
    let cache: HotKeyCache
    let table: ShardTable
    let logger: Logger
    private let mitigated = Mutex<Set<String>>([])

    init(
        settings: ShardRouterSettings, detector: HotKeyDetector, salting: HotKeySalting, cache: HotKeyCache, table: ShardTable,
        logger: Logger
    ) {
        self.settings = settings
        self.detector = detector
        self.salting = salting
        self.cache = cache
        self.table = table
        self.logger = logger
    }

    func isMitigated(_ key: String) -> Bool { mitigated.withLock { $0.contains(key) } }
    var mitigatedKeys: [String] { mitigated.withLock { $0.sorted() } }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.settings.window)
                await self.step(self.detector.closeWindow())
            }
        }
    }

    private func step(_ window: HotKeyDetector.Window) async {
        for key in window.hot where !isMitigated(key) {
            let share = Double(window.top.first { $0.key == key }?.guaranteed ?? 0) / Double(max(window.total, 1))
            let shard = table.names[table.shard(of: key)]
            switch settings.mitigation {
            case .none:
                logger.info(
                    "hot key \(key) on \(shard): \(Int(share * 100)) % of the last window's \(window.total) requests (MITIGATION=none)")
                continue
            case .salt:
                guard await salting.salt(key) else {
                    logger.warning("hot key \(key): filling its copies failed; trying again next window")
                    continue
                }
                logger.info("hot key \(key) on \(shard) (\(Int(share * 100)) %): salted into \(salting.copies) copies on different shards")
            case .cache:
                logger.info("hot key \(key) on \(shard) (\(Int(share * 100)) %): its reads now go through the coalescing cache")
            }
            mitigated.withLock { _ = $0.insert(key) }
        }
        // Cooled down: below half the threshold (or out of the sketch's top) for a whole window.
        for key in mitigatedKeys {
            let guaranteed = window.top.first { $0.key == key }?.guaranteed ?? 0
            guard Double(guaranteed) < settings.hotShare / 2 * Double(window.total), window.total >= detector.minimumRequests else {
                continue
            }
            salting.unsalt(key)
            cache.invalidate(key)
            mitigated.withLock { _ = $0.remove(key) }
            logger.info("\(key) cooled down: back to its home shard only")
        }
    }
}
