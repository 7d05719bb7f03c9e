import LabKit

/// The product page's backend-for-frontend: one request fans out to four services in parallel, so
/// its latency is the slowest child's. The gateway itself is never the problem — its trace span is
/// long only because it waits for its children.
enum ProductGateway {
    static func build(_ service: LabService) async throws {
        let context = service.context
        let catalog = try context.peer("catalog", timeout: .seconds(5))
        let pricing = try context.peer("pricing", timeout: .seconds(5))
        let inventory = try context.peer("inventory", timeout: .seconds(5))
        let reviews = try context.peer("reviews", timeout: .seconds(5))

        service.router.get("/product/:id") { _, request -> Response in
            let id = request.parameters.get("id") ?? "0"
            do {
                async let item = catalog.get("/items/\(id)", route: "/items/{id}")
                async let price = pricing.get("/prices/\(id)", route: "/prices/{id}")
                async let stock = inventory.get("/stock/\(id)", route: "/stock/{id}")
                async let summary = reviews.get("/reviews/\(id)", route: "/reviews/{id}")
                let parts = try await [("catalog", item), ("pricing", price), ("inventory", stock), ("reviews", summary)]
                if let failed = parts.first(where: { !$0.1.isSuccess }) {
                    return .jsonError("\(failed.0) answered \(failed.1.status)", status: .badGateway)
                }
                var page: [String: JSONValue] = ["id": .string(id)]
                for (name, reply) in parts { page[name] = reply.json }
                return .json(.object(page))
            } catch let error as PeerError {
                return .jsonError("\(error)", status: .badGateway)
            }
        }
    }
}
