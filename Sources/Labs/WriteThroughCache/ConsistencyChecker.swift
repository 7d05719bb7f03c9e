import LabKit
import NIOCore
import Synchronization

/// The client that knows the truth. `POST /write/{id}` gives key `id` its next version (1, 2, 3, …)
/// and writes it through the store; once the store answers 2xx, that version is *acknowledged*.
/// `GET /read/{id}` notes the highest version acknowledged so far, reads through the store, and
/// counts the read as stale (`stale_reads_total{source}`) when it returns an older version: a
/// write the client was told had happened, and which had finished before the read began, is missing.
/// Reads that overlap a write may return either version; they are never counted.
enum ConsistencyChecker {
    static func build(_ service: LabService) async throws {
        let store = try service.context.peer("store", timeout: .seconds(2))
        let versions = AcknowledgedVersions()
        let meter = CheckMeter()
        let logger = service.context.logger

        service.router.post("/write/:id") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected an integer", status: .badRequest)
            }
            let version = versions.next(id)
            let body: JSONValue = ["version": .number(Double(version)), "value": .string("value \(version) of item \(id)")]
            let reply = try await store.send(
                .PUT, "/items/\(id)", route: "/items/{id}", headers: ["content-type": "application/json"],
                body: ByteBuffer(string: body.encodedString()))
            guard reply.isSuccess else { return .jsonError("store answered \(reply.status) to version \(version)", status: .badGateway) }
            versions.acknowledge(id, version)
            return .json(["id": .number(Double(id)), "version": .number(Double(version)), "acknowledged": true])
        }

        service.router.get("/read/:id") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected an integer", status: .badRequest)
            }
            let mustSee = versions.acknowledged(id) // noted BEFORE the read is sent
            let reply = try await store.get("/items/\(id)", route: "/items/{id}")
            guard reply.isSuccess, let seen = reply.json["version"]?.intValue else {
                return .jsonError("store answered \(reply.status)", status: .badGateway)
            }
            let source = reply.json["source"]?.stringValue ?? "unknown"
            let stale = seen < mustSee
            meter.checked(source: source, stale: stale)
            context.span?.attributes["read.stale"] = stale
            context.span?.attributes["read.versions_behind"] = max(0, mustSee - seen)
            if stale {
                // The log line carries trace_id: `labctl traces --trace <id>` shows where the old version came from.
                logger.warning(
                    "stale read",
                    metadata: [
                        "item": "\(id)", "version.seen": "\(seen)", "version.acknowledged": "\(mustSee)", "source": "\(source)",
                    ])
            }
            return .json([
                "id": .number(Double(id)), "version": .number(Double(seen)), "acknowledged_before_read": .number(Double(mustSee)),
                "stale": .bool(stale), "source": .string(source),
            ])
        }
    }
}

/// Per key: the last version handed out and the highest version the store acknowledged.
final class AcknowledgedVersions: Sendable {
    private let keys = Mutex<[Int: (issued: Int, acknowledged: Int)]>([:])

    func next(_ id: Int) -> Int {
        keys.withLock { keys in
            let version = (keys[id]?.issued ?? 0) + 1
            keys[id, default: (0, 0)].issued = version
            return version
        }
    }

    /// Acknowledgements may arrive out of order; the highest one counts.
    func acknowledge(_ id: Int, _ version: Int) {
        keys.withLock { keys in keys[id, default: (0, 0)].acknowledged = max(keys[id]?.acknowledged ?? 0, version) }
    }

    func acknowledged(_ id: Int) -> Int { keys.withLock { $0[id]?.acknowledged ?? 0 } }
}

/// `checked_reads_total{source}` and `stale_reads_total{source}` (source: where the store found the
/// answer, `cache` or `db`), all at 0 from the start.
final class CheckMeter: Sendable {
    private let checked: [String: Counter]
    private let stale: [String: Counter]

    init() {
        let sources = ["cache", "db", "unknown"]
        checked = Dictionary(
            uniqueKeysWithValues: sources.map { ($0, Counter(label: "checked_reads_total", dimensions: [("source", $0)])) })
        stale = Dictionary(uniqueKeysWithValues: sources.map { ($0, Counter(label: "stale_reads_total", dimensions: [("source", $0)])) })
    }

    func checked(source: String, stale isStale: Bool) {
        let key = checked[source] == nil ? "unknown" : source
        checked[key]?.increment()
        if isStale { stale[key]?.increment() }
    }
}
