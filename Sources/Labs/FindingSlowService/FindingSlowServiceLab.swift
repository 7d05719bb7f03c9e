import LabKit

/// Week 1: finding the slow service.
///
///     gateway GET /product/{id} ──┬─→ catalog   GET /items/{id}    (~10 ms)
///                                 ├─→ pricing   GET /prices/{id}   (~15 ms)
///                                 ├─→ inventory GET /stock/{id}    (one lookup per product variant)
///                                 └─→ reviews   GET /reviews/{id}  (~40 ms)
///
/// `STOCK_LOOKUP=per_item` (before) makes inventory look up each variant's stock one after another;
/// `STOCK_LOOKUP=batched` (after) asks for all of them in one lookup.
enum FindingSlowServiceLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("gateway", "GET /product/{id}: calls catalog, pricing, inventory and reviews in parallel", build: ProductGateway.build),
        .init("catalog", "GET /items/{id}: the product's name and variants (WORK_MS, default 10)", build: FixedWorkService.catalog),
        .init("pricing", "GET /prices/{id}: the price (WORK_MS, default 15)", build: FixedWorkService.pricing),
        .init(
            "inventory", "GET /stock/{id}: stock per variant; STOCK_LOOKUP=per_item|batched, VARIANTS, LOOKUP_MS",
            build: InventoryService.build),
        .init("reviews", "GET /reviews/{id}: the review summary (WORK_MS, default 40)", build: FixedWorkService.reviews),
    ]
}
