import LabKit
import Metrics
import NIOCore
import NIOHTTP1
import Synchronization

/// The api's view of the cache tier: the member nodes, the rule that places keys on them
/// (`KeyPlacement`), and which keys it has stored there. A node that joins starts empty; the api asks
/// every key's owner under the *current* members, so a key whose owner changed is a miss on its new
/// node (its old copy stays, unread, on the old one) until a miss fills it again from PostgreSQL.
///
/// What a scale-out costs is counted from the real answers, not from the rule: when the members
/// change, every key the tier held is marked unseen, and the first lookup of each one afterwards
/// counts in `cache_tier_first_lookups_total{result}` as a hit (it stayed where the api looks) or a
/// miss (it moved). `cache_tier_keys_reassigned` is what the rule predicts, for comparison.
final class CacheTier: Sendable {
    enum Lookup: Sendable {
        case hit(String)
        case miss
        /// The node did not answer: the api reads PostgreSQL and stores nothing.
        case unavailable
    }

    enum ChangeError: Error, CustomStringConvertible {
        case unknown(String, standby: [String])
        case alreadyMember(String)
        case notAnswering(String, reason: String)

        var description: String {
            switch self {
            case .unknown(let node, let standby):
                "no cache node named '\(node)'; nodes that can join: \(standby.isEmpty ? "none" : standby.joined(separator: ", "))"
            case .alreadyMember(let node): "\(node) is already in the tier"
            case .notAnswering(let node, let reason): "\(node) does not answer its readiness check (\(reason)): start it first"
            }
        }
    }

    private struct State {
        var placement: KeyPlacement
        /// Every key the api has stored on some node (nothing expires in this lab).
        var held: Set<String> = []
        /// Keys held when the members last changed and not looked up since.
        var unseen: Set<String> = []
    }

    /// Every node the api can reach, members or not, by name (cache-1, cache-2, ..., cache-new).
    let clients: [String: PeerClient]
    private let logger: Logger
    private let state: Mutex<State>
    private let lookups: [String: Counter]
    private let firstLookups: [String: Counter]
    private let members = Gauge(label: "cache_tier_members")
    private let reassigned = Gauge(label: "cache_tier_keys_reassigned")
    private let held = Gauge(label: "cache_tier_keys_held")

    init(clients: [String: PeerClient], placement: KeyPlacement, logger: Logger) {
        self.clients = clients
        self.logger = logger
        self.state = Mutex(State(placement: placement))
        var lookups: [String: Counter] = [:]
        for node in clients.keys {
            for result in ["hit", "miss", "error"] {
                let counter = Counter(label: "cache_lookups_total", dimensions: [("node", node), ("result", result)])
                counter.increment(by: 0)
                lookups["\(node)/\(result)"] = counter
            }
        }
        self.lookups = lookups
        self.firstLookups = ["hit", "miss"].reduce(into: [:]) { counters, result in
            counters[result] = Counter(label: "cache_tier_first_lookups_total", dimensions: [("result", result)])
            counters[result]!.increment(by: 0)
        }
        members.record(placement.nodes.count)
        reassigned.record(0)
        held.record(0)
        recordShares(placement)
    }

    var placement: KeyPlacement { state.withLock { $0.placement } }
    var standby: [String] { clients.keys.filter { !placement.nodes.contains($0) }.sorted() }

    /// Asks the key's owner for it.
    func lookup(_ key: String) async -> (node: String, result: Lookup) {
        let node = placement.owner(of: key)
        let result: Lookup
        do {
            let reply = try await clients[node]!.get("/keys/\(key)", route: "/keys/{key}", timeout: .seconds(1))
            result = reply.status == 200 ? .hit(reply.text) : reply.status == 404 ? .miss : .unavailable
        } catch {
            result = .unavailable
        }
        let outcome =
            switch result {
            case .hit: "hit"
            case .miss: "miss"
            case .unavailable: "error"
            }
        lookups["\(node)/\(outcome)"]?.increment()
        if outcome != "error", state.withLock({ $0.unseen.remove(key) != nil }) { firstLookups[outcome]!.increment() }
        return (node, result)
    }

    /// Stores a value read from PostgreSQL on the key's node (a miss filled); false if the node refused.
    @discardableResult
    func store(_ key: String, _ value: String, on node: String) async -> Bool {
        let reply = try? await clients[node]!.send(
            .PUT, "/keys/\(key)", route: "/keys/{key}", body: ByteBuffer(string: value), timeout: .seconds(1))
        guard reply?.status == 204 else { return false }
        remember([key])
        return true
    }

    /// Stores many values, each on its owner, in one call per node (the warm-up).
    func fill(_ entries: [(key: String, value: String)]) async throws {
        let placement = self.placement
        let byNode = Dictionary(grouping: entries) { placement.owner(of: $0.key) }
        for (node, entries) in byNode {
            let batch = JSONValue.object(Dictionary(entries.map { ($0.key, JSONValue.string($0.value)) }) { _, last in last })
            let reply = try await clients[node]!.post("/keys", json: batch, timeout: .seconds(30))
            guard reply.isSuccess else { throw LabStartupError("\(node) refused the warm-up batch: \(reply.status) \(reply.text)") }
        }
        remember(entries.map(\.key))
    }

    /// Adds a node to the members once it answers. Returns how many held keys the rule reassigns.
    func add(_ node: String) async throws -> (held: Int, reassigned: Int) {
        guard let client = clients[node] else { throw ChangeError.unknown(node, standby: standby) }
        guard !placement.nodes.contains(node) else { throw ChangeError.alreadyMember(node) }
        try await waitUntilReady(node, client)
        let (next, counts) = try state.withLock { state -> (KeyPlacement, (Int, Int)) in
            guard !state.placement.nodes.contains(node) else { throw ChangeError.alreadyMember(node) }
            let before = state.placement
            let after = before.adding(node)
            state.placement = after
            state.unseen = state.held
            let moved = state.held.reduce(0) { count, key in before.owner(of: key) == after.owner(of: key) ? count : count + 1 }
            return (after, (state.held.count, moved))
        }
        members.record(next.nodes.count)
        reassigned.record(counts.1)
        recordShares(next)
        return counts
    }

    /// A node that is not running is refused at once; one that is slow to answer (a stall of the
    /// machine) is asked again for up to 8 s, within the 10 s a scenario's call waits.
    private func waitUntilReady(_ node: String, _ client: PeerClient) async throws {
        let deadline = ContinuousClock.now + .seconds(8)
        while true {
            do {
                let ready = try await client.get("/readyz", timeout: .seconds(2))
                guard ready.isSuccess else { throw ChangeError.notAnswering(node, reason: "HTTP \(ready.status)") }
                return
            } catch PeerError.timeout(_, let after) where ContinuousClock.now < deadline {
                logger.warning("\(node) did not answer /readyz within \(after); asking again")
            } catch let error as ChangeError {
                throw error
            } catch {
                throw ChangeError.notAnswering(node, reason: "\(error)")
            }
        }
    }

    private func remember(_ keys: [String]) {
        let count = state.withLock { state in
            state.held.formUnion(keys)
            return state.held.count
        }
        held.record(count)
    }

    /// `cache_tier_share{node}`: the share of keys the rule gives each node (0 for a node not in the tier).
    private func recordShares(_ placement: KeyPlacement) {
        let shares = placement.shares
        for node in clients.keys { Gauge(label: "cache_tier_share", dimensions: [("node", node)]).record(shares[node] ?? 0) }
    }
}
