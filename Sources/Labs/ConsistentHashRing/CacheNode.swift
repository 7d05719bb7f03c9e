import LabKit
import Metrics
import NIOCore
import Synchronization

/// One node of the cache tier: a process that keeps values in its own memory, like a memcached node.
/// It knows nothing of the other nodes or of placement: the api decides which node owns a key, so a
/// key the api now places here that was stored on another node is simply not here, a miss.
///
///     GET /keys/{key}  → 200 the value, or 404 (a miss)
///     PUT /keys/{key}  (body: the value) → 204
///     POST /keys       (body: {"key": "value", ...}) → {"stored": n}, many keys in one call
///
/// `cache_node_keys`: the keys it holds (how even the placement is); `cache_node_requests_total{result}`:
/// hit, miss, set.
enum CacheNode {
    static let maxValueBytes = 4_096
    static let maxBatchBytes = 4 * 1_024 * 1_024

    static func build(_ service: LabService) async throws {
        let values = Mutex<[String: String]>([:])
        let size = Gauge(label: "cache_node_keys")
        let requests = ["hit", "miss", "set"].reduce(into: [String: Counter]()) { counters, result in
            counters[result] = Counter(label: "cache_node_requests_total", dimensions: [("result", result)])
            counters[result]!.increment(by: 0)
        }
        size.record(0)

        @Sendable func store(_ batch: [String: String]) {
            let count = values.withLock { values in
                values.merge(batch) { _, new in new }
                return values.count
            }
            size.record(count)
            requests["set"]!.increment(by: Int64(batch.count))
        }

        service.router.get("/keys/:key") { _, context -> Response in
            let key = context.parameters.get("key") ?? ""
            guard let value = values.withLock({ $0[key] }) else {
                requests["miss"]!.increment()
                return .jsonError("no key \(key) on this node", status: .notFound)
            }
            requests["hit"]!.increment()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value)))
        }

        service.router.put("/keys/:key") { request, context -> Response in
            let key = context.parameters.get("key") ?? ""
            guard let body = try? await request.body.collect(upTo: maxValueBytes) else {
                return .jsonError("a value is at most \(maxValueBytes) bytes", status: .contentTooLarge)
            }
            guard body.readableBytes > 0 else {
                return .jsonError("the body is the value: 1 to \(maxValueBytes) bytes", status: .badRequest)
            }
            store([key: String(buffer: body)])
            return Response(status: .noContent)
        }

        service.router.post("/keys") { request, _ -> Response in
            guard let body = try? await request.body.collect(upTo: maxBatchBytes) else {
                return .jsonError("a batch is at most \(maxBatchBytes) bytes", status: .contentTooLarge)
            }
            guard case .object(let fields) = try? JSONValue.parse(body.readableBytesView) else {
                return .jsonError("the body must be a JSON object of keys to string values", status: .badRequest)
            }
            var batch: [String: String] = [:]
            for (key, value) in fields {
                guard let text = value.stringValue else { return .jsonError("the value of \(key) is not a string", status: .badRequest) }
                batch[key] = text
            }
            store(batch)
            return .json(["stored": .number(Double(batch.count))])
        }
    }
}
