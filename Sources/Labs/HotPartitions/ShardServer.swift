import HTTPTypes
import LabKit
import Metrics
import NIOCore
import Synchronization

/// One shard of the store: a process that keeps its keys in its own memory and has a FIXED capacity,
/// like a partition of a real database (a few worker threads, each busy for a while per request).
/// SLOTS requests are served at once, each holding its slot for WORK_MS: SLOTS / WORK_MS requests per
/// second, no more. The rest wait in a FIFO queue; one that waited QUEUE_TIMEOUT_MS is answered 503
/// (LabKit's `WorkerPool`, a CoDel queue with a fixed timeout). So a shard sent more than its capacity
/// really queues, then really times out, and every key on it suffers, not only the hot one.
///
///     GET /kv/{key}  → 200 the value (`x-version`), 404 no such key, 503 waited too long for a slot;
///                    `x-priority: critical` is served before the queue (the router filling copies)
///     PUT /kv/{key}  (body: the value; `x-version`: the router's stamp) → 204; an older version than
///                    the one held is ignored, so copies written in any order end on the newest value
///     POST /kv       {"key": "value", ...}: the seed, many keys in one call (before traffic, no slot)
///
/// `shard_keys`: keys held; the pool's `worker_pool_busy`, `worker_pool_queue_length`,
/// `worker_pool_rejected_total{reason="expired"}` show the queue.
enum ShardServer {
    static let slotsKnob = Knob.wholeNumber("SLOTS", default: 4, in: 1...256, "requests one shard serves at once")
    static let workKnob = Knob.milliseconds(
        "WORK_MS", default: 50, in: 1...10_000, "how long one request holds a slot: the shard's capacity is SLOTS / WORK_MS")
    static let queueTimeoutKnob = Knob.milliseconds(
        "QUEUE_TIMEOUT_MS", default: 1_000, in: 1...60_000, "a request that waited this long for a slot is answered 503")
    static let knobs: [any LabKnob] = [slotsKnob, workKnob, queueTimeoutKnob]

    static let versionHeader = HTTPField.Name("x-version")!
    static let priorityHeader = HTTPField.Name("x-priority")!
    static let maxValueBytes = 4_096

    struct Entry: Sendable {
        var value: String
        var version: UInt64
    }

    static func build(_ service: LabService) async throws {
        let slots = try service.knobs.read(slotsKnob)
        let work = try service.knobs.read(workKnob)
        let queueTimeout = try service.knobs.read(queueTimeoutKnob)
        for metric in ["worker_pool_queue_wait_seconds", "http_server_request_duration_seconds"] {
            service.telemetry.registry.configureBuckets(forMetric: metric, LatencyBuckets.wide)
        }
        // The bounded capacity: SLOTS at once, FIFO, and a queue timeout (CoDel with target = interval).
        // `x-priority: critical` (the router's copy fill) goes to the head of the queue.
        let pool = WorkerPool(
            name: "shard",
            configuration: .init(
                workers: slots, order: .fifo, codel: .init(target: queueTimeout, interval: queueTimeout), usesPriorities: true))
        let entries = Mutex<[String: Entry]>([:])
        let size = Gauge(label: "shard_keys")
        size.record(0)

        @Sendable func store(_ key: String, _ entry: Entry) {
            let count = entries.withLock { entries in
                if let held = entries[key], held.version > entry.version { return entries.count }
                entries[key] = entry
                return entries.count
            }
            size.record(count)
        }

        /// The request's work: hold a slot for WORK_MS (a shard's CPU and disk time), then run `body`.
        @Sendable func withSlot(_ request: Request, _ body: @Sendable () -> Response) async throws -> Response {
            let priority = request.headers[priorityHeader].flatMap { RequestPriority(label: $0) } ?? .normal
            do {
                return try await pool.execute(priority: priority) { _ in
                    try await Task.sleep(for: work)
                    return body()
                }
            } catch let rejected as WorkerPoolRejectedError {
                return .jsonError("\(rejected): no slot within \(queueTimeout)", status: .serviceUnavailable)
            }
        }

        service.router.get("/kv/:key") { request, context -> Response in
            let key = context.parameters.get("key") ?? ""
            return try await withSlot(request) {
                guard let entry = entries.withLock({ $0[key] }) else { return .jsonError("no key \(key)", status: .notFound) }
                var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: entry.value)))
                response.headers[versionHeader] = String(entry.version)
                return response
            }
        }

        service.router.put("/kv/:key") { request, context -> Response in
            let key = context.parameters.get("key") ?? ""
            guard let body = try? await request.body.collect(upTo: maxValueBytes), body.readableBytes > 0 else {
                return .jsonError("the body is the value: 1 to \(maxValueBytes) bytes", status: .badRequest)
            }
            let version = request.headers[versionHeader].flatMap { UInt64($0) } ?? 0
            let value = String(buffer: body)
            return try await withSlot(request) {
                store(key, Entry(value: value, version: version))
                return Response(status: .noContent)
            }
        }

        service.router.post("/kv") { request, _ -> Response in
            guard let body = try? await request.body.collect(upTo: 8 * 1_024 * 1_024),
                case .object(let fields) = try? JSONValue.parse(body.readableBytesView)
            else {
                return .jsonError("the body must be a JSON object of keys to string values", status: .badRequest)
            }
            for (key, value) in fields { store(key, Entry(value: value.stringValue ?? value.encodedString(), version: 0)) }
            return .json(["stored": .number(Double(fields.count))])
        }
    }
}
