import LabKit

/// Week 39: hot partitions.
///
///     load → router GET/PUT /kv/{key} → shard hash(key) mod 4 (shard-1..4, each SLOTS slots of WORK_MS)
///            the router counts every key in a Space-Saving sketch; a key above HOT_KEY_SHARE of a
///            window is hot; MITIGATION=none|salt|cache decides what happens to it
enum HotPartitionsLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "router", "GET/PUT /kv/{key} to the key's shard; detects hot keys (GET /admin/top-keys) and salts or caches them",
            build: ShardRouter.build),
        .init(
            "shard", "GET/PUT /kv/{key} from memory with SLOTS slots of WORK_MS; 503 after QUEUE_TIMEOUT_MS in the queue",
            build: ShardServer.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = ["router": ShardRouterSettings.knobs, "shard": ShardServer.knobs]
}
