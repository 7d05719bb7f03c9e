extension FederatedGraphLab {
    /// The entities of the graph, as the subgraphs own them and the gateway passes them on.
    struct Product: Codable, Sendable {
        var upc: String
        var name: String
        var price: Int
        /// The users subgraph's key: the gateway resolves `seller` from it.
        var sellerId: Int
    }

    struct User: Codable, Sendable {
        var id: Int
        var name: String
    }

    struct Review: Codable, Sendable {
        var id: Int
        var upc: String
        var stars: Int
        var body: String
    }

    /// The reviews of one product (the batched answer of the reviews subgraph).
    struct ProductReviews: Codable, Sendable {
        var upc: String
        var reviews: [Review]
    }

    /// Subgraphs need nothing per request.
    struct SubgraphContext: Sendable {}
}
