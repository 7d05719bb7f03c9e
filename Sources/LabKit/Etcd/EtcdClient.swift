import Foundation
import Metrics
import NIOCore
import Tracing

/// A small client for etcd's v3 HTTP/JSON gateway (`ETCD_URL`): keys, leases and compare-and-swap
/// transactions — what leader election and fencing need.
///
/// Each call is a client span `etcd <operation>` (`db.system`="etcd", `db.operation.name`) around the
/// HTTP call (`PeerClient`: its own span and `http_client_request_duration_seconds`), and counts
/// `etcd_client_requests_total{operation, outcome}`. Keys and values are strings (sent base64, as the
/// gateway wants); revisions and lease IDs are Int64 (the gateway writes them as JSON strings).
///
/// ```swift
/// let etcd = EtcdClient(baseURL: "http://127.0.0.1:2379")
/// let lease = try await etcd.grantLease(ttl: .seconds(2))
/// let won = try await etcd.createIfAbsent("/db/leader", value: "node-2", lease: lease)   // CAS on create_revision == 0
/// _ = try await etcd.keepAlive(lease)        // remaining TTL; 0 once the lease has expired
/// ```
public struct EtcdClient: Sendable {
    public let baseURL: String
    private let http: PeerClient

    public init(baseURL: String, timeout: Duration = .seconds(2)) {
        self.baseURL = baseURL
        self.http = PeerClient(name: "etcd", baseURL: baseURL, defaultTimeout: timeout)
    }

    /// One key's current state.
    public struct KeyValue: Sendable, Equatable {
        public let key: String
        public let value: String
        /// The revision that created the key (0: it does not exist).
        public let createRevision: Int64
        /// The revision of its last change: a fencing token that only grows.
        public let modRevision: Int64
        /// The lease it is attached to (0: none).
        public let lease: Int64
    }

    // MARK: keys

    /// The key's current value, or nil.
    public func get(_ key: String) async throws -> KeyValue? {
        let reply = try await call("range", "/v3/kv/range", ["key": Self.encode(key)])
        return reply["kvs"]?.arrayItems.first.flatMap(Self.keyValue)
    }

    /// Sets the key (attached to `lease` if given); the store's revision after the write.
    @discardableResult
    public func put(_ key: String, value: String, lease: Int64? = nil) async throws -> Int64 {
        var body: [String: JSONValue] = ["key": Self.encode(key), "value": Self.encode(value)]
        if let lease { body["lease"] = .string(String(lease)) }
        let reply = try await call("put", "/v3/kv/put", .object(body))
        return Self.int64(reply["header"]?["revision"])
    }

    /// Deletes the key; how many keys were deleted (0 or 1).
    @discardableResult
    public func delete(_ key: String) async throws -> Int {
        let reply = try await call("delete", "/v3/kv/deleterange", ["key": Self.encode(key)])
        return Int(Self.int64(reply["deleted"]))
    }

    // MARK: transactions

    /// Creates the key only if it does not exist (compare `create_revision == 0`, then put) in one
    /// transaction: of many callers, exactly one wins. The key as it is afterwards, and whether we won.
    public func createIfAbsent(_ key: String, value: String, lease: Int64? = nil) async throws -> (won: Bool, current: KeyValue?) {
        var put: [String: JSONValue] = ["key": Self.encode(key), "value": Self.encode(value)]
        if let lease { put["lease"] = .string(String(lease)) }
        let reply = try await call(
            "txn", "/v3/kv/txn",
            [
                "compare": [["key": Self.encode(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"]],
                "success": [["request_put": .object(put)]],
                "failure": [["request_range": ["key": Self.encode(key)]]],
            ])
        let won = reply["succeeded"]?.boolValue ?? false // the gateway omits `false`
        return (won, try await won ? get(key) : Self.rangeResult(reply))
    }

    /// Replaces the key's value only if it still has `value` `expected` (compare, then put): a
    /// leader changing its own key, never someone else's. Whether it was replaced.
    public func compareAndSwap(_ key: String, expected: String, newValue: String, lease: Int64? = nil) async throws -> Bool {
        var put: [String: JSONValue] = ["key": Self.encode(key), "value": Self.encode(newValue)]
        if let lease { put["lease"] = .string(String(lease)) }
        let reply = try await call(
            "txn", "/v3/kv/txn",
            [
                "compare": [["key": Self.encode(key), "target": "VALUE", "result": "EQUAL", "value": Self.encode(expected)]],
                "success": [["request_put": .object(put)]],
            ])
        return reply["succeeded"]?.boolValue ?? false
    }

    /// Deletes the key only if it still has `value` (a leader stepping down releases only its own key).
    @discardableResult
    public func deleteIf(_ key: String, value: String) async throws -> Bool {
        let reply = try await call(
            "txn", "/v3/kv/txn",
            [
                "compare": [["key": Self.encode(key), "target": "VALUE", "result": "EQUAL", "value": Self.encode(value)]],
                "success": [["request_delete_range": ["key": Self.encode(key)]]],
            ])
        return reply["succeeded"]?.boolValue ?? false
    }

    // MARK: leases

    /// A new lease of `ttl` (whole seconds, at least 1): keys attached to it vanish when it expires.
    public func grantLease(ttl: Duration) async throws -> Int64 {
        let seconds = max(1, ttl.components.seconds)
        let reply = try await call("lease_grant", "/v3/lease/grant", ["TTL": .string(String(seconds))])
        let id = Self.int64(reply["ID"])
        guard id != 0 else { throw EtcdError.unexpectedReply(operation: "lease grant", reply: reply.encodedString()) }
        return id
    }

    /// Renews the lease; its remaining TTL in seconds, 0 if it has already expired (then it is gone
    /// for good, with its keys: grant a new one).
    public func keepAlive(_ lease: Int64) async throws -> Int64 {
        let reply = try await call("lease_keepalive", "/v3/lease/keepalive", ["ID": .string(String(lease))])
        return Self.int64((reply["result"] ?? reply)["TTL"])
    }

    /// Ends the lease now; its keys are deleted.
    public func revoke(_ lease: Int64) async throws {
        _ = try await call("lease_revoke", "/v3/lease/revoke", ["ID": .string(String(lease))])
    }

    // MARK: wire

    private func call(_ operation: String, _ path: String, _ body: JSONValue) async throws -> JSONValue {
        try await withSpan("etcd \(operation)", ofKind: .client) { span in
            span.attributes["db.system"] = "etcd"
            span.attributes["db.system.name"] = "etcd"
            span.attributes["db.operation.name"] = operation
            var outcome = "error"
            defer {
                Counter(label: "etcd_client_requests_total", dimensions: [("operation", operation), ("outcome", outcome)]).increment()
            }
            do {
                let response = try await http.post(path, route: path, json: body)
                let reply = response.json
                guard response.isSuccess else {
                    span.setStatus(.init(code: .error))
                    throw EtcdError.failed(
                        operation: operation, status: response.status, message: reply["message"]?.stringValue ?? response.text)
                }
                // A streamed reply (lease keepalive) carries its message under "result", an error under "error".
                if let error = reply["error"] {
                    throw EtcdError.failed(
                        operation: operation, status: response.status, message: error["message"]?.stringValue ?? "\(error)")
                }
                outcome = "ok"
                return reply
            } catch {
                span.setStatus(.init(code: .error))
                throw error
            }
        }
    }

    static func encode(_ text: String) -> JSONValue { .string(Data(text.utf8).base64EncodedString()) }

    static func decode(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue, let data = Data(base64Encoded: text) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The gateway writes int64 as a JSON string and omits zero.
    static func int64(_ value: JSONValue?) -> Int64 {
        if let text = value?.stringValue { return Int64(text) ?? 0 }
        return value?.doubleValue.map { Int64($0) } ?? 0
    }

    static func keyValue(_ json: JSONValue) -> KeyValue? {
        guard json["key"] != nil else { return nil }
        return KeyValue(
            key: decode(json["key"]), value: decode(json["value"]), createRevision: int64(json["create_revision"]),
            modRevision: int64(json["mod_revision"]), lease: int64(json["lease"]))
    }

    /// The key a failed transaction's `request_range` read.
    private static func rangeResult(_ reply: JSONValue) -> KeyValue? {
        reply["responses"]?.arrayItems.first?["response_range"]?["kvs"]?.arrayItems.first.flatMap(keyValue)
    }
}

public enum EtcdError: Error, CustomStringConvertible, Sendable {
    case failed(operation: String, status: Int, message: String)
    case unexpectedReply(operation: String, reply: String)

    public var description: String {
        switch self {
        case .failed(let operation, let status, let message): "etcd \(operation) failed (HTTP \(status)): \(message)"
        case .unexpectedReply(let operation, let reply): "etcd \(operation): unexpected reply \(reply)"
        }
    }
}

extension JSONValue {
    /// The elements of an array (empty for anything else).
    var arrayItems: [JSONValue] { if case .array(let items) = self { items } else { [] } }
}
