import LabKit

/// Week 9: cascading failures.
///
///     web  GET /checkout/{id} → api GET /checkout/{id} → payments GET /pay/{id}     (payments slows down)
///     web  GET /catalog/{id}  → api GET /catalog/{id}  → catalog  GET /items/{id}   (never touches payments)
///
/// `POOLS` picks how the two tiers bound their outbound calls: `shared` (one pool for every call, with a
/// wait queue and long timeouts) or `per-dependency` (a bulkhead per dependency that fails fast);
/// `REQUEST_BUDGET_MS` makes the web start a deadline that every hop spends from.
enum CascadingFailuresLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("web", "GET /checkout/{id}, GET /catalog/{id}: call api (API_URL) through POOLS; REQUEST_BUDGET_MS", build: Tier.buildWeb),
        .init(
            "api", "GET /checkout/{id} → payments (PAYMENTS_URL), GET /catalog/{id} → catalog (CATALOG_URL) through POOLS",
            build: Tier.buildAPI),
        .init("payments", "GET /pay/{id}: a payment authorisation in WORK_MS (the dependency that slows down)", build: Leaf.buildPayments),
        .init("catalog", "GET /items/{id}: a catalog item in WORK_MS", build: Leaf.buildCatalog),
    ]
}
