import Foundation
import LabKit
import Metrics
import NIOCore
import NIOHTTP1

/// The router's view of the shards: where a key lives and one call to one shard, measured per shard.
///
/// Placement is MODULO hashing, `StableHash(key) mod N`, and it is called that: the shard count is
/// fixed in this lab, so the even spread of many keys is all that matters (week 43 shows what
/// modulo costs when N changes). Even spread of KEYS is not even spread of LOAD: a key with half
/// the traffic puts half the traffic on one shard, whatever the hash.
///
/// Per shard (4 values, a bounded label): `shard_requests_total{shard, operation="get|put",
/// outcome="ok|timeout|error"}` and `shard_request_duration_seconds{shard}`, the time the router
/// waits for that shard (queue + work). A 503 from a shard is its queue timeout: `timeout`.
struct ShardTable: Sendable {
    enum Reply: Sendable {
        case value(String, version: UInt64)
        case notFound
        case written
        case timeout(String)
        case failed(String)

        var succeeded: Bool {
            switch self {
            case .value, .notFound, .written: true
            case .timeout, .failed: false
            }
        }
    }

    let names: [String]
    private let clients: [PeerClient]
    private let requests: [String: Counter]
    private let latency: [Timer]

    init(clients: [PeerClient]) {
        names = clients.indices.map { "shard-\($0 + 1)" }
        self.clients = clients
        var requests: [String: Counter] = [:]
        for name in names {
            for operation in ["get", "put"] {
                for outcome in ["ok", "timeout", "error"] {
                    let counter = Counter(
                        label: "shard_requests_total", dimensions: [("shard", name), ("operation", operation), ("outcome", outcome)])
                    counter.increment(by: 0)
                    requests["\(name)/\(operation)/\(outcome)"] = counter
                }
            }
        }
        self.requests = requests
        latency = names.map { Timer(label: "shard_request_duration_seconds", dimensions: [("shard", $0)], preferredDisplayUnit: .seconds) }
    }

    var count: Int { clients.count }

    /// The shard that owns `key`: hash mod N.
    func shard(of key: String) -> Int { Int(StableHash.hash64(key) % UInt64(clients.count)) }

    /// `urgent`: ahead of the shard's queue (`x-priority: critical`), for the router's own reads.
    func get(_ key: String, on shard: Int, urgent: Bool = false) async -> Reply {
        await call(.GET, key, on: shard, body: nil, version: nil, urgent: urgent)
    }

    func put(_ key: String, _ value: String, version: UInt64, on shard: Int) async -> Reply {
        await call(.PUT, key, on: shard, body: value, version: version)
    }

    /// The seed: every key on its shard, one batch per shard, before any traffic.
    func seed(_ values: [(key: String, value: String)]) async throws {
        let byShard = Dictionary(grouping: values) { shard(of: $0.key) }
        for (shard, entries) in byShard {
            let batch = JSONValue.object(Dictionary(entries.map { ($0.key, JSONValue.string($0.value)) }) { _, last in last })
            let reply = try await clients[shard].post("/kv", json: batch, timeout: .seconds(30))
            guard reply.isSuccess else { throw LabStartupError("\(names[shard]) refused the seed: \(reply.status) \(reply.text)") }
        }
    }

    private func call(
        _ method: HTTPMethod, _ key: String, on shard: Int, body: String?, version: UInt64?, urgent: Bool = false
    ) async -> Reply {
        let start = ContinuousClock.now
        var headers: HTTPHeaders = [:]
        if urgent { headers.add(name: "x-priority", value: "critical") }
        if let version { headers.add(name: "x-version", value: String(version)) }
        let reply: Reply
        do {
            let response = try await clients[shard].send(
                method, "/kv/\(key)", route: "/kv/{key}", headers: headers, body: body.map { ByteBuffer(string: $0) })
            switch response.status {
            case 200: reply = .value(response.text, version: response.headers.first(name: "x-version").flatMap { UInt64($0) } ?? 0)
            case 204: reply = .written
            case 404: reply = .notFound
            case 503: reply = .timeout("\(names[shard]) had no free slot in time")
            default: reply = .failed("\(names[shard]) answered \(response.status)")
            }
        } catch PeerError.timeout {
            reply = .timeout("\(names[shard]) did not answer in time")
        } catch {
            reply = .failed("\(names[shard]): \(error)")
        }
        latency[shard].recordInterval(since: start)
        let outcome: String =
            switch reply {
            case .timeout: "timeout"
            case .failed: "error"
            default: "ok"
            }
        requests["\(names[shard])/\(method == .GET ? "get" : "put")/\(outcome)"]?.increment()
        return reply
    }
}
