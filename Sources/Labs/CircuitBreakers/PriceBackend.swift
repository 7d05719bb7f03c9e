import LabKit

/// The dependency: answers at once. The scenario makes it slow, then failing, with the admin fault API
/// (`PUT /admin/faults`), so its outage is the real thing the client sees: late answers and 503s.
enum PriceBackend {
    static func build(_ service: LabService) async throws {
        service.router.get("/price/:id") { _, context -> JSONValue in
            let id = context.parameters.get("id") ?? "0"
            return ["id": .string(id), "price": .number(price(of: id)), "source": "backend"]
        }
    }

    /// A stable made-up price per id, so a cached answer can be checked against a fresh one.
    static func price(of id: String) -> Double {
        let hash = id.unicodeScalars.reduce(UInt32(17)) { $0 &* 31 &+ $1.value }
        return Double(100 + hash % 9_900) / 100
    }
}
