import LabKit

/// How a new URL gets its code.
enum CodeStrategy: String, CaseIterable, Sendable {
    /// The truncated hash, inserted with ON CONFLICT DO NOTHING and cached, without looking at what
    /// the insert did: a code another URL already holds is handed out anyway (the bug).
    case hashUnchecked = "hash-unchecked"
    /// The truncated hash; a code held by a different URL is detected and the URL re-keyed.
    case hashRekeyed = "hash-rekeyed"
}

/// The shortener's knobs (the lab's variants set them; `labsvc knobs week05` lists them).
struct ShortenerSettings: Sendable {
    var strategy: CodeStrategy
    var codeBits: Int
    var maxRekeys: Int
    var cacheEnabled: Bool
    var cacheTTLMilliseconds: Int
    var lookupCostMilliseconds: Int

    static let strategyKnob = Knob.choice(
        "CODES", default: CodeStrategy.hashRekeyed,
        "hash-unchecked: insert the truncated hash ON CONFLICT DO NOTHING and hand the code out anyway; hash-rekeyed: detect a code held by another URL and re-key"
    )
    static let bitsKnob = Knob.wholeNumber(
        "CODE_BITS", default: 24, in: 8...64, "bits of the URL's hash kept in its code (2^bits codes; written in base62)")
    static let maxRekeysKnob = Knob.wholeNumber(
        "MAX_REKEYS", default: 8, in: 1...64, "hash-rekeyed: new codes tried for one URL before the create fails with a 503")
    static let cacheKnob = Knob.flag(
        "CACHE", default: true, "redirects look in Redis first (cache-aside) and creates fill it; off: every redirect queries PostgreSQL")
    static let ttlKnob = Knob.milliseconds(
        "CACHE_TTL_MS", default: 3_600_000, in: 1_000...86_400_000, "a cached code expires this long after it was written")
    static let lookupCostKnob = Knob.milliseconds(
        "DB_LOOKUP_COST_MS", default: 0, in: 0...10_000,
        "the mean time one redirect lookup spends in PostgreSQL (`pg_sleep`, exponentially distributed, capped at 10x)")

    static let knobs: [any LabKnob] = [strategyKnob, bitsKnob, maxRekeysKnob, cacheKnob, ttlKnob, lookupCostKnob]

    init(_ knobs: KnobReader) throws {
        strategy = try knobs.read(Self.strategyKnob)
        codeBits = try knobs.read(Self.bitsKnob)
        maxRekeys = try knobs.read(Self.maxRekeysKnob)
        cacheEnabled = try knobs.read(Self.cacheKnob)
        cacheTTLMilliseconds = Int(try knobs.read(Self.ttlKnob) / .milliseconds(1))
        lookupCostMilliseconds = Int(try knobs.read(Self.lookupCostKnob) / .milliseconds(1))
    }
}
