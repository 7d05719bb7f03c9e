import LabKit

/// Catalog, pricing and reviews: each answers after a fixed amount of work (a sleep standing in for
/// its own database read), `WORK_MS` to change it. They are healthy; one of them is simply the
/// slowest of the healthy ones (reviews), which is what the trace shows once inventory is fixed.
enum FixedWorkService {
    static func catalog(_ service: LabService) async throws {
        try serve(service, route: "/items/:id", work: workKnob(defaultMs: 10)) { id in
            ["id": .string(id), "name": .string("Product \(id)"), "variants": .number(Double(InventoryService.defaultVariants))]
        }
    }

    static func pricing(_ service: LabService) async throws {
        try serve(service, route: "/prices/:id", work: workKnob(defaultMs: 15)) { id in
            ["id": .string(id), "price": .number(Double(100 + (Int(id) ?? 0) % 900) / 10)]
        }
    }

    static func reviews(_ service: LabService) async throws {
        try serve(service, route: "/reviews/:id", work: workKnob(defaultMs: 40)) { id in
            ["id": .string(id), "stars": .number(4.2), "count": .number(Double(10 + (Int(id) ?? 0) % 90))]
        }
    }

    /// `WORK_MS`, with each service's own default.
    static func workKnob(defaultMs: Int) -> Knob<Duration> {
        Knob.milliseconds(
            "WORK_MS", default: defaultMs, in: 0...60_000, "how long one answer takes (a sleep standing in for its database read)")
    }

    private static func serve(
        _ service: LabService, route: RouterPath, work: Knob<Duration>,
        answer: @escaping @Sendable (String) -> [String: JSONValue]
    ) throws {
        let workTime = try service.knobs.read(work)
        service.router.get(route) { _, request -> JSONValue in
            let id = request.parameters.get("id") ?? "0"
            try await Task.sleep(for: workTime)
            return .object(answer(id))
        }
    }
}
