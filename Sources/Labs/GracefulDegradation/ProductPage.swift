import LabKit

/// KEY IDEA: a page that needs every dependency is as available as the worst of them, and a
/// dependency that *hangs* is the worst kind: it does not fail, it takes the whole timeout every time.
/// Decide per dependency what the page can live without and for how long to wait for it: here the
/// recommendations are optional (an empty block after 150 ms), a price may be stale (the last good
/// one, stale-while-error, after 200 ms), and only inventory is required. Then a hanging dependency
/// costs 150 ms and a missing block, not the page — and the answer says it is degraded
/// (`"degraded": [...]`, `x-degraded`), so clients, caches and dashboards can tell.
enum ProductPage {
    static func build(_ service: LabService) async throws {
        let settings = try PageSettings(service.knobs)
        let recommendations = try service.context.peer("recommendations", timeout: settings.timeout(for: "recommendations"))
        let pricing = try service.context.peer("pricing", timeout: settings.timeout(for: "pricing"))
        let inventory = try service.context.peer("inventory", timeout: settings.timeout(for: "inventory"))
        let prices = StaleWhileErrorCache<Double>(maxStale: settings.priceMaxStale)
        let meter = PageMeter()

        service.router.get("/product/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            // The three calls run at once; the page is as slow as the slowest one it waits for.
            async let related = meter.fetch(recommendations, "/recommendations/\(id)", route: "/recommendations/{id}")
            async let price = meter.fetch(pricing, "/price/\(id)", route: "/price/{id}")
            async let stock = meter.fetch(inventory, "/stock/\(id)", route: "/stock/{id}")
            let (relatedResult, priceResult, stockResult) = await (related, price, stock)

            guard settings.degradation else {
                // All or nothing: any failure fails the page.
                for (name, result) in [("recommendations", relatedResult), ("pricing", priceResult), ("inventory", stockResult)] {
                    if case .failure(let failure) = result { return meter.failed("\(name): \(failure)", status: failure.status) }
                }
                if case .success(let quote) = priceResult, let amount = quote["price"]?.doubleValue { prices.store(amount, for: id) }
                return meter.answer(
                    id: id, related: relatedResult, price: priceResult.map { $0["price"] ?? .null }, stock: stockResult, degraded: [])
            }

            var degraded: [String] = []
            // Inventory is required: without it the page cannot say whether you can buy.
            guard case .success = stockResult else {
                if case .failure(let failure) = stockResult { return meter.failed("inventory: \(failure)", status: failure.status) }
                return meter.failed("inventory", status: .badGateway)
            }
            // Recommendations are optional: an empty block.
            var relatedBlock = relatedResult
            if case .failure = relatedResult {
                degraded.append("recommendations")
                meter.fellBack("recommendations")
                relatedBlock = .success(["items": []])
            }
            // Price: live, else the last good one (with its age), else none — never a made-up number.
            let priceBlock: Result<JSONValue, DependencyFailure>
            switch priceResult {
            case .success(let quote):
                if let amount = quote["price"]?.doubleValue { prices.store(amount, for: id) }
                meter.priceSource("live")
                priceBlock = .success(quote["price"] ?? .null)
            case .failure:
                degraded.append("pricing")
                meter.fellBack("pricing")
                if let (amount, age) = prices.stale(for: id) {
                    meter.priceSource("stale")
                    priceBlock = .success(["amount": .number(amount), "stale": true, "age_ms": .number((age / .milliseconds(1)).rounded())])
                } else {
                    meter.priceSource("none")
                    priceBlock = .success(["amount": .null, "note": "price unavailable"])
                }
            }
            return meter.answer(id: id, related: relatedBlock, price: priceBlock, stock: stockResult, degraded: degraded)
        }
    }
}
