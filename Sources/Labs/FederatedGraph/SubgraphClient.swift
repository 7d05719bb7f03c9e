import Foundation
import LabKit
import Synchronization

extension FederatedGraphLab {
    /// The gateway's view of one subgraph: a GraphQL query over HTTP, its `data.<field>` decoded.
    /// A transport failure, an HTTP error or a GraphQL `errors` entry throws `SubgraphError`.
    ///
    /// At most `connections` calls to one subgraph are in flight at a time (its connection pool, as
    /// every real gateway has one per upstream); the rest wait their turn.
    struct Subgraph: Sendable {
        let name: String
        let peer: PeerClient
        private let calls: Counter
        private let pool: Bulkhead<ContinuousClock>

        init(name: String, peer: PeerClient, connections: Int) {
            self.name = name
            self.peer = peer
            calls = Counter(label: "subgraph_calls_total", dimensions: [("subgraph", name)])
            calls.increment(by: 0)
            pool = Bulkhead(
                name: "subgraph-\(name)", configuration: .init(maxConcurrentCalls: connections, maxWaitDuration: .seconds(60)),
                clock: ContinuousClock())
        }

        func fetch<T: Decodable & Sendable>(
            _ field: String, _ query: String, variables: JSONValue, as type: T.Type, tally: CallTally
        ) async throws -> T {
            tally.count(name)
            calls.increment()
            let response: PeerResponse
            do {
                response = try await pool.execute {
                    try await peer.post("/graphql", route: "/graphql", json: ["query": .string(query), "variables": variables])
                }
            } catch {
                throw SubgraphError(subgraph: name, reason: "\(error)")
            }
            guard response.isSuccess else { throw SubgraphError(subgraph: name, reason: "HTTP \(response.status)") }
            let envelope: Envelope<T>
            do {
                envelope = try JSONDecoder().decode(Envelope<T>.self, from: Data(buffer: response.body))
            } catch {
                throw SubgraphError(subgraph: name, reason: "unreadable answer: \(error)")
            }
            if let first = envelope.errors?.first { throw SubgraphError(subgraph: name, reason: first.message) }
            guard let value = envelope.data?[field] else { throw SubgraphError(subgraph: name, reason: "no data.\(field)") }
            return value
        }

        private struct Envelope<Value: Decodable>: Decodable {
            let data: [String: Value]?
            let errors: [Message]?
            struct Message: Decodable { let message: String }
        }
    }

    struct SubgraphError: Error, CustomStringConvertible {
        let subgraph: String
        let reason: String
        var description: String { "the \(subgraph) subgraph failed: \(reason)" }
    }

    /// How many calls one gateway request made to each subgraph.
    final class CallTally: Sendable {
        private let counts = Mutex<[String: Int]>([:])
        func count(_ subgraph: String) { counts.withLock { $0[subgraph, default: 0] += 1 } }
        var total: Int { counts.withLock { $0.values.reduce(0, +) } }
    }
}
