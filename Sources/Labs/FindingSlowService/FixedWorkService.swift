import LabKit

/// Catalog, pricing and reviews: each answers after a fixed amount of work (a sleep standing in for
/// its own database read), `WORK_MS` to change it. They are healthy; one of them is simply the
/// slowest of the healthy ones (reviews), which is what the trace shows once inventory is fixed.
enum FixedWorkService {
    static func catalog(_ service: LabService) async throws {
        try serve(service, route: "/items/:id", defaultWorkMs: 10) { id in
            ["id": .string(id), "name": .string("Product \(id)"), "variants": .number(Double(InventoryService.defaultVariants))]
        }
    }

    static func pricing(_ service: LabService) async throws {
        try serve(service, route: "/prices/:id", defaultWorkMs: 15) { id in
            ["id": .string(id), "price": .number(Double(100 + (Int(id) ?? 0) % 900) / 10)]
        }
    }

    static func reviews(_ service: LabService) async throws {
        try serve(service, route: "/reviews/:id", defaultWorkMs: 40) { id in
            ["id": .string(id), "stars": .number(4.2), "count": .number(Double(10 + (Int(id) ?? 0) % 90))]
        }
    }

    private static func serve(
        _ service: LabService, route: RouterPath, defaultWorkMs: Int,
        answer: @escaping @Sendable (String) -> [String: JSONValue]
    ) throws {
        let workMs = try service.context.integer("WORK_MS", default: defaultWorkMs)
        service.router.get(route) { _, request -> JSONValue in
            let id = request.parameters.get("id") ?? "0"
            try await Task.sleep(for: .milliseconds(workMs))
            return .object(answer(id))
        }
    }
}
