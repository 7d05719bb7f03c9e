import GraphQL
import Graphiti
import LabKit

extension FederatedGraphLab {
    /// KEY IDEA: a GraphQL executor resolves fields one object at a time, so a field that needs
    /// another service — `Product.seller` from the users subgraph — is, written naively, one network
    /// call per product: a list of 100 products costs 1 + 100 + 100 calls (N+1, across services).
    /// A DataLoader made for each request collects the keys that the concurrently resolving fields
    /// ask for and sends them as ONE batched call per subgraph: 3 calls, whatever the list's length.
    /// And because a subgraph can fail on its own, its fields are nullable: a failed subgraph nulls
    /// only what it owns and says so in `errors`, instead of nulling the whole answer.
    enum Gateway {
        static let batchingKnob = Knob.flag(
            "BATCHING", default: false,
            "a DataLoader per request batches Product.seller and Product.reviews into one subgraph call each; off: one call per product")
        static let partialKnob = Knob.flag(
            "PARTIAL_RESULTS", default: false,
            "seller and reviews are nullable: a failed subgraph nulls only its fields (with errors); off: non-null, one failure nulls the answer"
        )
        static let timeoutKnob = Knob.milliseconds(
            "SUBGRAPH_TIMEOUT_MS", default: 2_000, in: 1...600_000, "how long the gateway waits for one subgraph call")
        static let connectionsKnob = Knob.wholeNumber(
            "SUBGRAPH_CONNECTIONS", default: 8, in: 1...1_000, "calls in flight to one subgraph at a time (its connection pool); more wait")
        static let knobs: [any LabKnob] = [batchingKnob, partialKnob, timeoutKnob, connectionsKnob]

        static func build(_ service: LabService) async throws {
            let batching = try service.knobs.read(batchingKnob)
            let partial = try service.knobs.read(partialKnob)
            let timeout = try service.knobs.read(timeoutKnob)
            let connections = try service.knobs.read(connectionsKnob)
            let subgraphs = Subgraphs(
                products: Subgraph(
                    name: "products", peer: try service.context.peer("products", timeout: timeout), connections: connections),
                users: Subgraph(name: "users", peer: try service.context.peer("users", timeout: timeout), connections: connections),
                reviews: Subgraph(name: "reviews", peer: try service.context.peer("reviews", timeout: timeout), connections: connections))
            let schema = partial ? try GatewaySchema.nullableEntities() : try GatewaySchema.nonNullEntities()
            service.telemetry.registry.configureBuckets(
                forMetric: "subgraph_calls_per_query", [1, 2, 3, 4, 5, 10, 25, 50, 100, 150, 201, 250, 500])
            let queries = Counter(label: "gateway_queries_total")
            let callsPerQuery = Recorder(label: "subgraph_calls_per_query")
            let outcomes = ["complete", "partial", "none"].reduce(into: [String: Counter]()) {
                $0[$1] = Counter(label: "graphql_responses_total", dimensions: [("data", $1)])
                $0[$1]?.increment(by: 0)
            }
            queries.increment(by: 0)

            GraphQLHTTP.serve(
                service, schema: schema, resolver: GatewayResolver(),
                context: {
                    GatewayContext(subgraphs: subgraphs, batching: batching)
                },
                answered: { result, context in
                    queries.increment()
                    outcomes[GatewaySchema.classify(result)]?.increment()
                    callsPerQuery.record(context.tally.total)
                })
        }
    }

    struct Subgraphs: Sendable {
        let products: Subgraph
        let users: Subgraph
        let reviews: Subgraph
    }

    /// One request's state: its tally of subgraph calls and its DataLoaders (a loader's cache must
    /// not outlive the request).
    final class GatewayContext: Sendable {
        let subgraphs: Subgraphs
        let batching: Bool
        let tally = CallTally()
        let sellers: DataLoader<Int, User>
        let reviews: DataLoader<String, [Review]>

        init(subgraphs: Subgraphs, batching: Bool) {
            self.subgraphs = subgraphs
            self.batching = batching
            let tally = self.tally
            sellers = DataLoader(name: "users") { ids in
                let users = try await subgraphs.users.fetch(
                    "users", "query($ids: [Int!]!) { users(ids: $ids) { id name } }",
                    variables: ["ids": .array(ids.map { .number(Double($0)) })], as: [User].self, tally: tally)
                return Dictionary(users.map { ($0.id, $0) }) { first, _ in first }
            }
            reviews = DataLoader(name: "reviews") { upcs in
                let lists = try await subgraphs.reviews.fetch(
                    "reviewsOfMany", "query($upcs: [String!]!) { reviewsOfMany(upcs: $upcs) { upc reviews { id upc stars body } } }",
                    variables: ["upcs": .array(upcs.map { .string($0) })], as: [ProductReviews].self, tally: tally)
                return Dictionary(lists.map { ($0.upc, $0.reviews) }) { first, _ in first }
            }
        }

        func seller(_ id: Int) async throws -> User? {
            if batching { return try await sellers.load(id) }
            return try await subgraphs.users.fetch(
                "user", "query($id: Int!) { user(id: $id) { id name } }", variables: ["id": .number(Double(id))], as: User?.self,
                tally: tally)
        }

        func reviewsOf(_ upc: String) async throws -> [Review] {
            if batching { return try await reviews.load(upc) ?? [] }
            return try await subgraphs.reviews.fetch(
                "reviewsOf", "query($upc: String!) { reviewsOf(upc: $upc) { id upc stars body } }",
                variables: ["upc": .string(upc)], as: [Review].self, tally: tally)
        }
    }
}
