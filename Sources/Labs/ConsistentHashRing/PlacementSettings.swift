import LabKit

/// The api's knobs: how keys are placed on the cache nodes, and what a miss costs the database.
struct PlacementSettings {
    static let placement = Knob.choice(
        "PLACEMENT", among: ["modulo", "ring"], default: "modulo",
        "modulo: a key's node is hash(key) mod N; ring: a consistent hash ring with VIRTUAL_NODES tokens per node")
    static let virtualNodes = Knob.wholeNumber(
        "VIRTUAL_NODES", default: 150, in: 1...1_000, "tokens per cache node on the ring (PLACEMENT=ring; 1: one token per node)")
    static let dbRead = Knob.milliseconds(
        "DB_READ_MS", default: 2, in: 0...1_000, "how long PostgreSQL works on each item read (pg_sleep: a query the cache spares it)")

    static let knobs: [any LabKnob] = [placement, virtualNodes, dbRead] + LabPostgres.knobs

    let usesRing: Bool
    let virtualNodes: Int
    let dbRead: Duration

    init(_ knobs: KnobReader) throws {
        usesRing = try knobs.read(Self.placement) == "ring"
        virtualNodes = try knobs.read(Self.virtualNodes)
        dbRead = try knobs.read(Self.dbRead)
    }

    /// The placement over the tier's first members.
    func placement(of nodes: [String]) -> KeyPlacement {
        usesRing ? .ring(ConsistentHashRing(virtualNodes: virtualNodes, nodes: nodes)) : .modulo(nodes)
    }
}
