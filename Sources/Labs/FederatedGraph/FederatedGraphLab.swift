import LabKit

/// Week 44: a federated graph.
///
///     load → gateway POST /graphql  ─┬→ products subgraph POST /graphql  (products(first:))
///                                    ├→ users subgraph                   (user(id:) / users(ids:))
///                                    └→ reviews subgraph                 (reviewsOf(upc:) / reviewsOfMany(upcs:))
///
/// Each subgraph is a GraphQL service (Graphiti) over its own PostgreSQL table. The gateway
/// resolves `Product.seller` and `Product.reviews` from the users and reviews subgraphs:
/// `BATCHING=off`: one call per product (N+1); `on`: a DataLoader per request turns the 100 calls of
/// a list into one. `PARTIAL_RESULTS=off`: those fields are non-null, so one failed subgraph nulls the
/// whole answer; `on`: nullable, so a failed subgraph nulls only its fields, with `errors`.
enum FederatedGraphLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "gateway", "POST /graphql: the federated schema; Product.seller and Product.reviews come from the users and reviews subgraphs",
            build: Gateway.build),
        .init("products", "POST /graphql: products(first:) from PostgreSQL", build: ProductsSubgraph.build),
        .init("users", "POST /graphql: user(id:), users(ids:) from PostgreSQL", build: UsersSubgraph.build),
        .init("reviews", "POST /graphql: reviewsOf(upc:), reviewsOfMany(upcs:) from PostgreSQL", build: ReviewsSubgraph.build),
    ]

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "gateway": Gateway.knobs,
        "products": LabPostgres.knobs,
        "users": LabPostgres.knobs,
        "reviews": LabPostgres.knobs,
    ]
}
