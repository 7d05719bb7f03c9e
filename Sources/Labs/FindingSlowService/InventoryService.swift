import LabKit

/// KEY IDEA: the slow service is the one whose *own* time is large, not the one at the top of the
/// call chain. The gateway's span is as long as its slowest child; inventory's span is long because
/// inventory itself works: it looks up the stock of each of the product's variants ONE AFTER ANOTHER
/// (the N+1 query pattern: one round trip per item), so its latency grows with the number of
/// variants. In the trace that is a staircase of `stock lookup` spans inside inventory's server span,
/// and all of that time is inventory's self-time. The fix is one batched lookup for all variants.
///
/// Knobs: `STOCK_LOOKUP=per_item|batched` (env; `stock_lookup` in `PUT /admin/config` overrides it at
/// run time), `VARIANTS` (default 12), `LOOKUP_MS` (one lookup's round trip, default 20).
enum InventoryService {
    static let defaultVariants = 12

    static let lookupKnob = Knob.choice(
        "STOCK_LOOKUP", among: ["per_item", "batched"], default: "per_item",
        "`per_item`: one lookup per variant, one after another; `batched`: one lookup for all "
            + "(`stock_lookup` in PUT /admin/config overrides it)")
    static let variantsKnob = Knob.wholeNumber(
        "VARIANTS", default: defaultVariants, in: 1...1_000, "variants per product: lookups per request when `per_item`")
    static let roundTripKnob = Knob.milliseconds("LOOKUP_MS", default: 20, in: 0...60_000, "one stock lookup's round trip")
    static let knobs: [any LabKnob] = [lookupKnob, variantsKnob, roundTripKnob]

    static func build(_ service: LabService) async throws {
        let context = service.context
        let variants = try service.knobs.read(variantsKnob)
        let startupMode = try service.knobs.read(lookupKnob)
        let store = StockStore(roundTrip: try service.knobs.read(roundTripKnob))

        service.router.get("/stock/:id") { _, request -> JSONValue in
            let id = request.parameters.get("id") ?? "0"
            let skus = (1...max(variants, 1)).map { "\(id)-\($0)" }
            let mode = context.config.string("stock_lookup", default: startupMode)
            var stock: [String: JSONValue] = [:]
            if mode == "batched" {
                // After: one round trip for every variant.
                for (sku, count) in try await store.lookup(skus) { stock[sku] = .number(Double(count)) }
            } else {
                // Before: one round trip per variant, in sequence. THIS is the slow line.
                for sku in skus { stock[sku] = .number(Double(try await store.lookup(sku))) }
            }
            return ["id": .string(id), "lookup": .string(mode ?? startupMode), "stock": .object(stock)]
        }
    }
}

/// The stock store: every call is one round trip of `roundTrip`, whether it asks for one SKU or many
/// (like one `SELECT … WHERE sku = $1` versus one `SELECT … WHERE sku = ANY($1)`). Each call is a
/// span of its own, so the waterfall shows how many round trips a request made.
struct StockStore: Sendable {
    let roundTrip: Duration

    func lookup(_ sku: String) async throws -> Int {
        try await withSpan("stock lookup") { span in
            span.attributes["inventory.sku"] = sku
            try await Task.sleep(for: roundTrip)
            return Self.count(of: sku)
        }
    }

    func lookup(_ skus: [String]) async throws -> [(String, Int)] {
        try await withSpan("stock lookup (batch)") { span in
            span.attributes["inventory.sku_count"] = skus.count
            try await Task.sleep(for: roundTrip)
            return skus.map { ($0, Self.count(of: $0)) }
        }
    }

    /// A stable made-up stock level per SKU.
    static func count(of sku: String) -> Int {
        Int(sku.unicodeScalars.reduce(UInt32(7)) { $0 &* 31 &+ $1.value } % 50)
    }
}
