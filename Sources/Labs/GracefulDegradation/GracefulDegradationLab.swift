import LabKit

/// Week 23: graceful degradation.
///
///     load generator → page GET /product/{id} ─┬→ recommendations GET /recommendations/{id}   (optional)
///                                              ├→ pricing GET /price/{id}                    (stale is fine)
///                                              └→ inventory GET /stock/{id}                  (required)
///
/// `DEGRADATION=off`: the page needs all three, under one timeout. `DEGRADATION=on`: each dependency
/// has its own timeout and fallback, and the answer says what it is missing.
enum GracefulDegradationLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "page", "GET /product/{id}: aggregates recommendations, pricing and inventory (DEGRADATION and *_TIMEOUT_MS knobs)",
            build: ProductPage.build),
        .init("recommendations", "GET /recommendations/{id}: three related products", build: CatalogDependencies.buildRecommendations),
        .init("pricing", "GET /price/{id}: the current price", build: CatalogDependencies.buildPricing),
        .init("inventory", "GET /stock/{id}: units available", build: CatalogDependencies.buildInventory),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = ["page": PageSettings.knobs, "recommendations": [], "pricing": [], "inventory": []]
}
