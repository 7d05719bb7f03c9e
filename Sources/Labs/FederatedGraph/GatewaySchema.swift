import GraphQL
import Graphiti
import LabKit

extension FederatedGraphLab {
    /// The gateway's root resolver: the product list comes from the products subgraph in one call.
    struct GatewayResolver: Sendable {
        struct ProductsArguments: Codable, Sendable { let first: Int }

        func products(context: GatewayContext, arguments: ProductsArguments) async throws -> [Product] {
            let products = try await context.subgraphs.products.fetch(
                "products", "query($first: Int!) { products(first: $first) { upc name price sellerId } }",
                variables: ["first": .number(Double(arguments.first))], as: [Product].self, tally: context.tally)
            if context.batching {
                // The list knows every key now; the items' resolvers ask one by one, over many ms.
                context.sellers.prefetch(products.map(\.sellerId))
                context.reviews.prefetch(products.map(\.upc))
            }
            return products
        }
    }

    /// The federated schema, in two shapes:
    ///
    ///     type Product { upc: String!  name: String!  price: Int!  seller: User!  reviews: [Review!]! }   # non-null
    ///     type Product { upc: String!  name: String!  price: Int!  seller: User   reviews: [Review!]  }   # nullable
    ///
    /// GraphQL turns an error in a non-null field into null for its parent, and so on up: with a
    /// non-null `seller`, one failed users call nulls the product, and since `products: [Product!]!`
    /// is non-null too, the whole `data`.
    enum GatewaySchema {
        static func nonNullEntities() throws -> Schema<GatewayResolver, GatewayContext> {
            try Schema<GatewayResolver, GatewayContext> {
                Type(User.self) {
                    Field("id", at: \.id)
                    Field("name", at: \.name)
                }
                Type(Review.self) {
                    Field("id", at: \.id)
                    Field("stars", at: \.stars)
                    Field("body", at: \.body)
                }
                Type(Product.self) {
                    Field("upc", at: \.upc)
                    Field("name", at: \.name)
                    Field("price", at: \.price)
                    Field("seller", at: Product.requiredSeller)
                    Field("reviews", at: Product.requiredReviews)
                }
                Query {
                    Field("products", at: GatewayResolver.products) { Argument("first", at: \.first) }
                }
            }
        }

        static func nullableEntities() throws -> Schema<GatewayResolver, GatewayContext> {
            try Schema<GatewayResolver, GatewayContext> {
                Type(User.self) {
                    Field("id", at: \.id)
                    Field("name", at: \.name)
                }
                Type(Review.self) {
                    Field("id", at: \.id)
                    Field("stars", at: \.stars)
                    Field("body", at: \.body)
                }
                Type(Product.self) {
                    Field("upc", at: \.upc)
                    Field("name", at: \.name)
                    Field("price", at: \.price)
                    Field("seller", at: Product.seller)
                    Field("reviews", at: Product.reviews)
                }
                Query {
                    Field("products", at: GatewayResolver.products) { Argument("first", at: \.first) }
                }
            }
        }

        /// `complete`: data and no errors; `partial`: products with errors; `none`: no products.
        static func classify(_ result: GraphQLResult) -> String {
            guard let products = result.data?.dictionary?["products"], !products.isNull, !products.isUndefined else { return "none" }
            return result.errors.isEmpty ? "complete" : "partial"
        }
    }
}

extension FederatedGraphLab.Product {
    typealias Context = FederatedGraphLab.GatewayContext

    /// Nullable: a failed users subgraph makes this product's seller null (and adds an error).
    func seller(context: Context, arguments: NoArguments) async throws -> FederatedGraphLab.User? {
        try await context.seller(sellerId)
    }

    func reviews(context: Context, arguments: NoArguments) async throws -> [FederatedGraphLab.Review]? {
        try await context.reviewsOf(upc)
    }

    /// Non-null: the same call, but a failure (or a missing user) nulls the product instead.
    func requiredSeller(context: Context, arguments: NoArguments) async throws -> FederatedGraphLab.User {
        guard let user = try await context.seller(sellerId) else {
            throw FederatedGraphLab.SubgraphError(subgraph: "users", reason: "no user \(sellerId)")
        }
        return user
    }

    func requiredReviews(context: Context, arguments: NoArguments) async throws -> [FederatedGraphLab.Review] {
        try await context.reviewsOf(upc)
    }
}
