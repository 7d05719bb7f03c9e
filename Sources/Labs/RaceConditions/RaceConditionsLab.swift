import LabKit

/// Week 21: race conditions.
///
///     load generator → shop POST /sales/{sale}/items/{id}/buy → PostgreSQL (items, orders)
///
/// `STRATEGY` picks how the shop sells one unit: `naive` (read, compute, write back), `atomic`
/// (conditional UPDATE), `for-update` (locking read in a transaction) or `serializable` (retry on 40001).
enum RaceConditionsLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "shop",
            "POST /sales/{sale}/items/{id}/buy against PostgreSQL (DATABASE_URL); STRATEGY=naive|atomic|for-update|serializable, WORK_MS",
            build: ShopService.build)
    ]
}
