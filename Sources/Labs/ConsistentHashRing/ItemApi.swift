import HTTPTypes
import LabKit
import Metrics
import NIOCore

/// KEY IDEA: a cache tier of N nodes is scaled out under load by one node, and the rule that
/// places keys on nodes decides what that costs. With `hash(key) mod N` every key's node is
/// recomputed over N+1: a key stays put only when both remainders agree, about 1 key in N+1, so
/// right after the new node joins the api looks for almost every key on a node that does not have
/// it. The hit ratio collapses to about 1/(N+1) and every miss is a read on PostgreSQL, all at once.
/// On a consistent hash ring the new node's tokens cut a few arcs out of its neighbours': only the
/// keys on those arcs (about 1/(N+1) of them) change owner, and the hit ratio stays near N/(N+1).
/// Virtual nodes (many tokens per node) are what make each node's share close to 1/N; with one token
/// per node the arcs are as uneven as random points, and so is the load.
///
///     GET  /items/{id}   → the item: from its cache node (hit), else from PostgreSQL, then stored
///                          on that node (miss); `x-cache: hit|miss|error`, `x-cache-node: cache-2`
///     POST /tier/nodes   {"node": "cache-new"} → the node joins the tier (it must be running)
///     GET  /tier         → the members, the rule, each node's share of the keys
///
/// Before the lab starts, the tier is warmed with every item (one query, one batch per node).
enum ItemApi {
    static func build(_ service: LabService) async throws {
        let settings = try PlacementSettings(service.knobs)
        guard let db = try service.postgres(poolName: "items") else {
            throw LabStartupError("the api needs DATABASE_URL: the items live in PostgreSQL")
        }
        let rows = ItemTable(db: db, readCost: settings.dbRead)
        // The tier's first members are the `cache` replicas (cache-1, cache-2, ...); `cache-new`
        // (CACHE_NEW_URL) runs only once the scenario starts it, and joins on POST /tier/nodes.
        let members = try service.context.peers("cache", timeout: .seconds(1)).enumerated().map { index, client in
            ("cache-\(index + 1)", PeerClient(name: "cache-\(index + 1)", baseURL: client.baseURL, defaultTimeout: .seconds(1)))
        }
        let joining = try service.context.peers("cache-new", timeout: .seconds(1)).enumerated().map { index, client in
            let name = index == 0 ? "cache-new" : "cache-new-\(index + 1)"
            return (name, PeerClient(name: name, baseURL: client.baseURL, defaultTimeout: .seconds(1)))
        }
        let tier = CacheTier(
            clients: Dictionary(uniqueKeysWithValues: members + joining), placement: settings.placement(of: members.map(\.0)),
            logger: service.context.logger)

        service.addSetup("warm the cache tier") { progress in
            progress.report("reading every item")
            let items = try await rows.all()
            progress.report("storing \(items.count) items on \(members.count) nodes")
            try await tier.fill(items.map { (key: Self.key($0.id), value: $0.json) })
        }

        service.router.get("/items/:id") { _, context -> Response in
            guard let raw = context.parameters.get("id"), let id = Int(raw), id > 0 else {
                return .jsonError("the item id must be a positive whole number", status: .badRequest)
            }
            let key = Self.key(id)
            let (node, lookup) = await tier.lookup(key)
            if case .hit(let json) = lookup { return answer(json, cache: "hit", node: node) }
            guard let json = try await rows.item(id) else { return .jsonError("no item \(id)", status: .notFound) }
            guard case .miss = lookup else { return answer(json, cache: "error", node: node) }
            await tier.store(key, json, on: node)
            return answer(json, cache: "miss", node: node)
        }

        let logger = service.context.logger
        service.router.post("/tier/nodes") { request, _ -> Response in
            let body = try? await request.body.collect(upTo: 4_096)
            guard let body, let node = (try? JSONValue.parse(body.readableBytesView))?["node"]?.stringValue else {
                return .jsonError(
                    "the body must be {\"node\": \"<name>\"}; nodes that can join: \(tier.standby.joined(separator: ", "))",
                    status: .badRequest)
            }
            do {
                let (held, reassigned) = try await tier.add(node)
                logger.info("\(node) joined the tier: the rule reassigns \(reassigned) of the \(held) keys held")
                return .json(
                    [
                        "nodes": .array(tier.placement.nodes.map { .string($0) }), "keys_held": .number(Double(held)),
                        "keys_reassigned": .number(Double(reassigned)),
                    ])
            } catch let error as CacheTier.ChangeError {
                switch error {
                case .unknown: return .jsonError(error.description, status: .badRequest)
                case .alreadyMember: return .jsonError(error.description, status: .conflict)
                case .notAnswering: return .jsonError(error.description, status: .serviceUnavailable)
                }
            }
        }

        service.router.get("/tier") { _, _ -> JSONValue in
            let placement = tier.placement
            let rule: String =
                switch placement {
                case .modulo: "modulo"
                case .ring(let ring): "ring (\(ring.virtualNodes) tokens per node)"
                }
            return [
                "rule": .string(rule), "nodes": .array(placement.nodes.map { .string($0) }),
                "standby": .array(tier.standby.map { .string($0) }),
                "shares": .object(placement.shares.mapValues { .number(($0 * 1_000).rounded() / 1_000) }),
            ]
        }
    }

    /// The cache key of an item.
    static func key(_ id: Int) -> String { "item-\(id)" }

    static let cacheHeader = HTTPField.Name("x-cache")!
    static let cacheNodeHeader = HTTPField.Name("x-cache-node")!

    private static func answer(_ json: String, cache: String, node: String) -> Response {
        var response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        response.headers[cacheHeader] = cache
        response.headers[cacheNodeHeader] = node
        return response
    }
}
