import LabKit

/// Week 43: a consistent hash ring.
///
///     load → api GET /items/{id} → its cache node (owner by PLACEMENT) → on a miss PostgreSQL `items`
///            cache-1, cache-2, cache-3: the tier from the start; cache-new: started mid-run by the
///            scenario, then joined with POST /tier/nodes
///
/// `PLACEMENT=modulo` places a key on hash mod N; `PLACEMENT=ring` on a consistent hash ring with
/// `VIRTUAL_NODES` tokens per node (LabKit's `ConsistentHashRing`).
enum ConsistentHashRingLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("api", "GET /items/{id}: the item from its cache node, else PostgreSQL; POST /tier/nodes adds a node", build: ItemApi.build),
        .init("cache", "a node of the cache tier from the start: GET/PUT /keys/{key}, POST /keys", build: CacheNode.build),
        .init("cache-new", "the cache node that joins mid-run, same code", build: CacheNode.build),
    ]

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["api": PlacementSettings.knobs, "cache": [], "cache-new": []]
}
