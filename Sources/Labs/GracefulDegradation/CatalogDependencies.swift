import LabKit

/// The page's three dependencies: each answers at once from a stable made-up catalog. Their outages
/// are real and come from the scenario through the admin fault API: recommendations *hang* (accept the
/// request, never answer until the fault is cleared), pricing fails fast with 503s.
enum CatalogDependencies {
    static func buildRecommendations(_ service: LabService) async throws {
        service.router.get("/recommendations/:id") { _, context -> JSONValue in
            let id = Int(context.parameters.get("id") ?? "0") ?? 0
            return ["items": .array((1...3).map { .string(String((id * 7 + $0 * 13) % 1_000)) })]
        }
    }

    static func buildPricing(_ service: LabService) async throws {
        service.router.get("/price/:id") { _, context -> JSONValue in
            let id = context.parameters.get("id") ?? "0"
            return ["id": .string(id), "price": .number(price(of: id))]
        }
    }

    static func buildInventory(_ service: LabService) async throws {
        service.router.get("/stock/:id") { _, context -> JSONValue in
            let id = context.parameters.get("id") ?? "0"
            return ["id": .string(id), "available": .number(Double(id.unicodeScalars.reduce(0) { $0 + Int($1.value) } % 50))]
        }
    }

    /// A stable price per id, in cents precision.
    static func price(of id: String) -> Double {
        let hash = id.unicodeScalars.reduce(UInt32(17)) { $0 &* 31 &+ $1.value }
        return Double(100 + hash % 9_900) / 100
    }
}
