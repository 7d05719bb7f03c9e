import LabKit

/// The router's knobs: what it does about a hot key, and how it detects one.
struct ShardRouterSettings {
    enum Mitigation: String, CaseIterable, Sendable {
        /// Detect, report, do nothing: the hot key's shard takes all its traffic.
        case none
        /// Split a hot key's reads over SALT_COPIES copies on different shards.
        case salt
        /// Answer a hot key's reads from a short-lived, request-coalescing cache in the router.
        case cache
    }

    static let mitigation = Knob<Mitigation>.choice(
        "MITIGATION", default: .none,
        "what the router does with a key the detector flags: none (report it), salt (copies on several shards), cache (a coalescing TTL cache)"
    )
    static let hotShare = Knob.number(
        "HOT_KEY_SHARE", default: 0.2, in: 0.01...1, "a key is hot when it is certain to have had this share of a window's requests")
    static let window = Knob.milliseconds("HOT_KEY_WINDOW_MS", default: 1_000, in: 100...60_000, "the detection window (tumbling)")
    static let counters = Knob.wholeNumber(
        "HOT_KEY_COUNTERS", default: 32, in: 1...10_000, "counters in the Space-Saving sketch: its whole memory, whatever the key count")
    static let copies = Knob.wholeNumber(
        "SALT_COPIES", default: 4, in: 2...64, "MITIGATION=salt: copies of a hot key, each on its own shard")
    static let cacheTTL = Knob.milliseconds(
        "CACHE_TTL_MS", default: 500, in: 1...60_000, "MITIGATION=cache: how long a hot key's value is served from the router")
    static let seedKeys = Knob.wholeNumber(
        "SEED_KEYS", default: 2_000, in: 0...1_000_000, "keys user-1 ... user-N stored on the shards before traffic")
    static let shardTimeout = Knob.milliseconds(
        "SHARD_TIMEOUT_MS", default: 3_000, in: 1...60_000, "how long the router waits for a shard (longer than a shard's queue timeout)")

    static let knobs: [any LabKnob] = [mitigation, hotShare, window, counters, copies, cacheTTL, seedKeys, shardTimeout]

    let mitigation: Mitigation
    let hotShare: Double
    let window: Duration
    let counters: Int
    let copies: Int
    let cacheTTL: Duration
    let seedKeys: Int
    let shardTimeout: Duration

    init(_ knobs: KnobReader) throws {
        mitigation = try knobs.read(Self.mitigation)
        hotShare = try knobs.read(Self.hotShare)
        window = try knobs.read(Self.window)
        counters = try knobs.read(Self.counters)
        copies = try knobs.read(Self.copies)
        cacheTTL = try knobs.read(Self.cacheTTL)
        seedKeys = try knobs.read(Self.seedKeys)
        shardTimeout = try knobs.read(Self.shardTimeout)
    }
}
