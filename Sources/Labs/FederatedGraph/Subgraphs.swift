import Graphiti
import LabKit

extension FederatedGraphLab {
    /// `products(first:)`: the catalogue, from the `products` table.
    enum ProductsSubgraph {
        struct Resolver: Sendable {
            let db: LabPostgres
            struct FirstArguments: Codable, Sendable { let first: Int }

            func products(context: SubgraphContext, arguments: FirstArguments) async throws -> [Product] {
                let limit = max(0, min(arguments.first, 1_000))
                return try await db.query("SELECT upc, name, price, seller_id FROM products ORDER BY upc LIMIT \(limit)").map { row in
                    let (upc, name, price, seller) = try row.decode((String, String, Int, Int).self)
                    return Product(upc: upc, name: name, price: price, sellerId: seller)
                }
            }
        }

        static func build(_ service: LabService) async throws {
            guard let db = try service.postgres() else {
                throw LabStartupError("products needs DATABASE_URL (a postgres infrastructure entry)")
            }
            let schema = try Schema<Resolver, SubgraphContext> {
                Type(Product.self) {
                    Field("upc", at: \.upc)
                    Field("name", at: \.name)
                    Field("price", at: \.price)
                    Field("sellerId", at: \.sellerId)
                }
                Query {
                    Field("products", at: Resolver.products) { Argument("first", at: \.first) }
                }
            }
            GraphQLHTTP.serve(service, schema: schema, resolver: Resolver(db: db), context: { SubgraphContext() })
        }
    }

    /// `user(id:)` and `users(ids:)`: one row, or every row asked for in one query.
    enum UsersSubgraph {
        struct Resolver: Sendable {
            let db: LabPostgres
            struct IDArguments: Codable, Sendable { let id: Int }
            struct IDsArguments: Codable, Sendable { let ids: [Int] }

            func user(context: SubgraphContext, arguments: IDArguments) async throws -> User? {
                try await db.query("SELECT id, name FROM users WHERE id = \(arguments.id)").first.map(Self.user)
            }

            func users(context: SubgraphContext, arguments: IDsArguments) async throws -> [User] {
                try await db.query("SELECT id, name FROM users WHERE id = ANY(\(arguments.ids))").map(Self.user)
            }

            static func user(_ row: PostgresRow) throws -> User {
                let (id, name) = try row.decode((Int, String).self)
                return User(id: id, name: name)
            }
        }

        static func build(_ service: LabService) async throws {
            guard let db = try service.postgres() else {
                throw LabStartupError("users needs DATABASE_URL (a postgres infrastructure entry)")
            }
            let schema = try Schema<Resolver, SubgraphContext> {
                Type(User.self) {
                    Field("id", at: \.id)
                    Field("name", at: \.name)
                }
                Query {
                    Field("user", at: Resolver.user) { Argument("id", at: \.id) }
                    Field("users", at: Resolver.users) { Argument("ids", at: \.ids) }
                }
            }
            GraphQLHTTP.serve(service, schema: schema, resolver: Resolver(db: db), context: { SubgraphContext() })
        }
    }

    /// `reviewsOf(upc:)` and `reviewsOfMany(upcs:)`: one product's reviews, or many products' in one query.
    enum ReviewsSubgraph {
        struct Resolver: Sendable {
            let db: LabPostgres
            struct UPCArguments: Codable, Sendable { let upc: String }
            struct UPCsArguments: Codable, Sendable { let upcs: [String] }

            func reviewsOf(context: SubgraphContext, arguments: UPCArguments) async throws -> [Review] {
                try await db.query("SELECT id, upc, stars, body FROM reviews WHERE upc = \(arguments.upc) ORDER BY id").map(Self.review)
            }

            func reviewsOfMany(context: SubgraphContext, arguments: UPCsArguments) async throws -> [ProductReviews] {
                let reviews = try await db.query("SELECT id, upc, stars, body FROM reviews WHERE upc = ANY(\(arguments.upcs)) ORDER BY id")
                    .map(Self.review)
                let byProduct = Dictionary(grouping: reviews, by: \.upc)
                return arguments.upcs.map { ProductReviews(upc: $0, reviews: byProduct[$0] ?? []) }
            }

            static func review(_ row: PostgresRow) throws -> Review {
                let (id, upc, stars, body) = try row.decode((Int, String, Int, String).self)
                return Review(id: id, upc: upc, stars: stars, body: body)
            }
        }

        static func build(_ service: LabService) async throws {
            guard let db = try service.postgres() else {
                throw LabStartupError("reviews needs DATABASE_URL (a postgres infrastructure entry)")
            }
            let schema = try Schema<Resolver, SubgraphContext> {
                Type(Review.self) {
                    Field("id", at: \.id)
                    Field("upc", at: \.upc)
                    Field("stars", at: \.stars)
                    Field("body", at: \.body)
                }
                Type(ProductReviews.self) {
                    Field("upc", at: \.upc)
                    Field("reviews", at: \.reviews)
                }
                Query {
                    Field("reviewsOf", at: Resolver.reviewsOf) { Argument("upc", at: \.upc) }
                    Field("reviewsOfMany", at: Resolver.reviewsOfMany) { Argument("upcs", at: \.upcs) }
                }
            }
            GraphQLHTTP.serve(service, schema: schema, resolver: Resolver(db: db), context: { SubgraphContext() })
        }
    }
}
