import LabKit

/// Week 21: race conditions.
///
///     load generator → shop POST /sales/{sale}/items/{id}/buy → PostgreSQL (items, orders)
///
/// `STRATEGY` picks how the shop sells one unit: `naive` (read, compute, write back), `atomic`
/// (conditional UPDATE), `for-update` (locking read in a transaction) or `serializable` (retry on 40001).
enum RaceConditionsLab {
    static let lab = LabServiceRegistry.Lab(
        week: 21, slug: "race-conditions", title: "Race conditions: lost updates and overselling",
        roles: [
            .init("shop", "POST /sales/{sale}/items/{id}/buy against PostgreSQL (DATABASE_URL); STRATEGY=naive|atomic|for-update|serializable, WORK_MS", build: ShopService.build),
        ]
    )
}
