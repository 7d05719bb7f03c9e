import Foundation
import LabKit
import Metrics
import NIOCore
import Synchronization

/// KEY IDEA: replicas that accept writes on both sides of a partition must merge, not overwrite.
/// Each replica keeps its own state in its own memory, answers its clients at once, and every
/// SYNC_INTERVAL_MS pushes its whole state to every peer it can reach (anti-entropy); the peer merges
/// it into its own. With `MERGE=lww` a counter or a set is one last-writer-wins register: the merge
/// keeps the newer write whole and drops the other side's increments, adds and removes. With
/// `MERGE=crdt` a counter is a PN-counter (per-replica counts, merged by max) and a set an OR-set
/// (unique tags per add, removes tombstone only what they saw): nothing acknowledged is lost, removed
/// elements stay removed, and a concurrent add wins over a remove.
enum ReplicaService {
    static let mergeKnob = Knob<MergeRule>.choice(
        "MERGE", default: .lww,
        "`lww`: each counter and set is a last-writer-wins register (wall-clock stamp); `crdt`: PN-counters and OR-sets")
    static let syncIntervalKnob = Knob.milliseconds(
        "SYNC_INTERVAL_MS", default: 1000, in: 50...60_000, "anti-entropy: how often a replica pushes its whole state to each peer")
    static let knobs: [any LabKnob] = [mergeKnob, syncIntervalKnob]

    enum MergeRule: String, CaseIterable, Sendable {
        case lww
        case crdt
    }

    static func build(_ service: LabService) async throws {
        let rule = try service.knobs.read(mergeKnob)
        let interval = try service.knobs.read(syncIntervalKnob)
        switch rule {
        case .lww: try serve(Replica<LastWriterWinsState>(service: service), interval: interval, service: service)
        case .crdt: try serve(Replica<ConflictFreeState>(service: service), interval: interval, service: service)
        }
    }

    private static func serve<State: ReplicaState>(_ replica: Replica<State>, interval: Duration, service: LabService) throws {
        let router = service.router
        Gauge(label: "sync_interval_seconds").record(Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)

        router.get("/identity") { _, _ -> JSONValue in ["name": .string(replica.name)] }
        router.post("/counters/:name/add/:delta") { _, context -> Response in
            guard let name = context.parameters.get("name"), let delta = context.parameters.get("delta", as: Int.self) else {
                return .jsonError("expected /counters/{name}/add/{delta}", status: .badRequest)
            }
            // Acknowledged once it is in this replica's memory: the caller is told it counted.
            replica.apply(.add(counter: name, delta: delta))
            return .json(["counter": .string(name), "delta": .number(Double(delta))])
        }
        router.post("/sets/:name/add/:element") { _, context -> JSONValue in
            let name = context.parameters.get("name") ?? ""
            let element = context.parameters.get("element") ?? ""
            replica.apply(.insert(set: name, element: element))
            return ["set": .string(name), "added": .string(element)]
        }
        router.post("/sets/:name/remove/:element") { _, context -> JSONValue in
            let name = context.parameters.get("name") ?? ""
            let element = context.parameters.get("element") ?? ""
            replica.apply(.remove(set: name, element: element))
            return ["set": .string(name), "removed": .string(element)]
        }
        router.get("/state") { _, _ -> JSONValue in replica.report() }

        // Anti-entropy, the receiving side: a peer's whole state, merged into ours (refused across a cut).
        router.post("/sync") { request, _ -> Response in
            let sender = request.headers[.init("x-replica")!] ?? "?"
            guard !replica.peers.isCut(sender) else {
                replica.metrics.received(result: "refused")
                return .jsonError("partitioned from \(sender)", status: .serviceUnavailable)
            }
            let body = try await request.body.collect(upTo: 16 * 1024 * 1024)
            let state = try JSONDecoder().decode(State.self, from: Data(buffer: body))
            replica.merge(state)
            replica.metrics.received(result: "merged")
            return .json(["merged": true])
        }

        // The wiring (the client tells each replica where its peers are) and the partition.
        router.put("/admin/peers") { request, _ -> JSONValue in
            let body = try await request.body.collect(upTo: 64 * 1024)
            replica.peers.set(try JSONDecoder().decode([PeerSet.Peer].self, from: Data(buffer: body)))
            return ["peers": .number(Double(replica.peers.all.count))]
        }
        router.put("/admin/partition") { request, _ -> JSONValue in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let cut = try JSONDecoder().decode([String].self, from: Data(buffer: body))
            replica.peers.cut(Set(cut))
            return ["cut": .array(cut.map { .string($0) })]
        }

        AntiEntropy.start(replica: replica, every: interval)
        Task {
            while !Task.isCancelled {
                replica.publishGauges()
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}

/// A replica: its name (`LAB_INSTANCE`, e.g. `replica-2`), its state in memory, its peers.
final class Replica<State: ReplicaState>: Sendable {
    let name: String
    let peers = PeerSet()
    let metrics: ReplicaMetrics
    private let state = Mutex((state: State(), nextTag: 0))

    init(service: LabService) {
        let port = service.context.environment["PORT"] ?? "0"
        name = service.context.environment["LAB_INSTANCE"] ?? "replica-\(port)"
        metrics = ReplicaMetrics()
    }

    func apply(_ operation: ReplicaOperation) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        state.withLock {
            $0.nextTag += 1
            $0.state.apply(operation, on: name, now: now, tag: Tag(replica: name, seq: $0.nextTag))
        }
        metrics.applied(operation)
    }

    func merge(_ other: State) { state.withLock { $0.state.merge(other) } }

    /// The whole state, as sent to a peer.
    func encoded() throws -> Data { try JSONEncoder().encode(state.withLock { $0.state }) }

    /// `replica_counter_sum` (all counters' values added), `replica_set_size{set}`, `replica_state_digest`
    /// (32 bits of a hash of what clients observe: equal on replicas that agree).
    func publishGauges() {
        let current = state.withLock { $0.state }
        metrics.counterSum.record(current.counterNames.reduce(0) { $0 + current.counter($1) })
        for name in current.setNames {
            Gauge(label: "replica_set_size", dimensions: [("set", name)]).record(current.elements(of: name).count)
        }
        var hash: UInt32 = 2_166_136_261 // FNV-1a
        for byte in current.digest.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        metrics.digest.record(Double(hash))
    }

    /// What clients observe: every counter's value, every set's elements, and the digest.
    func report() -> JSONValue {
        let current = state.withLock { $0.state }
        var counters: [String: JSONValue] = [:]
        for name in current.counterNames { counters[name] = .number(Double(current.counter(name))) }
        var sets: [String: JSONValue] = [:]
        for name in current.setNames { sets[name] = .array(current.elements(of: name).map { .string($0) }) }
        return ["replica": .string(name), "counters": .object(counters), "sets": .object(sets), "digest": .string(current.digest)]
    }
}

/// The peers a replica pushes to, and the ones a partition cuts it off from (both ways: it neither
/// pushes to them nor accepts their pushes).
final class PeerSet: Sendable {
    struct Peer: Codable, Sendable {
        var name: String
        var url: String
    }
    private let state = Mutex((peers: [Peer](), cut: Set<String>()))

    var all: [Peer] { state.withLock { $0.peers } }
    var reachable: [Peer] { state.withLock { s in s.peers.filter { !s.cut.contains($0.name) } } }
    func isCut(_ name: String) -> Bool { state.withLock { $0.cut.contains(name) } }
    func set(_ peers: [Peer]) { state.withLock { $0.peers = peers } }
    func cut(_ names: Set<String>) { state.withLock { $0.cut = names } }
}

/// Anti-entropy, the sending side: every interval, the whole state to every reachable peer.
enum AntiEntropy {
    static func start<State: ReplicaState>(replica: Replica<State>, every interval: Duration) {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let body = try? replica.encoded() else { continue }
                let all = replica.peers.all
                for peer in all where replica.peers.isCut(peer.name) { replica.metrics.pushed(to: peer.name, result: "cut") }
                await withTaskGroup(of: Void.self) { group in
                    for peer in replica.peers.reachable {
                        group.addTask {
                            let client = PeerClient(name: "replica", baseURL: peer.url, defaultTimeout: interval)
                            let reply = try? await client.send(
                                .POST, "/sync", route: "/sync", headers: ["x-replica": replica.name, "content-type": "application/json"],
                                body: ByteBuffer(bytes: body))
                            let result = reply.map { $0.isSuccess ? "ok" : "refused" } ?? "error"
                            replica.metrics.pushed(to: peer.name, result: result)
                        }
                    }
                }
            }
        }
    }
}

/// `replica_operations_total{kind}`: operations this replica acknowledged (increment, decrement, add, remove).
/// `anti_entropy_pushes_total{peer, result}`: ok, refused (the peer is cut off from us), cut (not sent), error.
/// `anti_entropy_received_total{result}`: merged, refused.
final class ReplicaMetrics: Sendable {
    private let operations: [String: Counter]
    private let receivedByResult: [String: Counter]
    let counterSum = Gauge(label: "replica_counter_sum")
    let digest = Gauge(label: "replica_state_digest")

    init() {
        var operations: [String: Counter] = [:]
        for kind in ["increment", "decrement", "add", "remove"] {
            operations[kind] = Counter(label: "replica_operations_total", dimensions: [("kind", kind)])
        }
        var received: [String: Counter] = [:]
        for result in ["merged", "refused"] {
            received[result] = Counter(label: "anti_entropy_received_total", dimensions: [("result", result)])
        }
        for counter in operations.values { counter.increment(by: 0) }
        for counter in received.values { counter.increment(by: 0) }
        self.operations = operations
        receivedByResult = received
    }

    func applied(_ operation: ReplicaOperation) {
        let kind: String =
            switch operation {
            case .add(_, let delta): delta >= 0 ? "increment" : "decrement"
            case .insert: "add"
            case .remove: "remove"
            }
        operations[kind]?.increment()
    }

    func pushed(to peer: String, result: String) {
        Counter(label: "anti_entropy_pushes_total", dimensions: [("peer", peer), ("result", result)]).increment()
    }

    func received(result: String) { receivedByResult[result]?.increment() }
}
