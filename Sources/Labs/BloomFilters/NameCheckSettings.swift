import LabKit

/// The signup service's knobs (the lab's variants set them; `labsvc knobs week22` and the README list them).
struct NameCheckSettings {
    enum Check: String, CaseIterable, Sendable {
        /// Every check is a query.
        case database
        /// A Bloom filter in Redis answers "definitely free" without the database.
        case bloom
    }

    var check: Check
    var parameters: BloomFilterParameters

    static let checkKnob = Knob<Check>.choice(
        "NAME_CHECK", default: .database,
        "`database`: every check queries PostgreSQL; `bloom`: a Redis Bloom filter first, the database only when it says maybe")
    static let bitsKnob = Knob.wholeNumber("BLOOM_BITS", default: 8_000_000, in: 8...4_294_967_295, "m: the filter's size in bits")
    static let hashesKnob = Knob.wholeNumber("BLOOM_HASHES", default: 6, in: 1...32, "k: bits set and probed per name")

    static let knobs: [any LabKnob] = [checkKnob, bitsKnob, hashesKnob]

    init(_ knobs: KnobReader) throws {
        check = try knobs.read(Self.checkKnob)
        parameters = BloomFilterParameters(bits: try knobs.read(Self.bitsKnob), hashes: try knobs.read(Self.hashesKnob))
    }
}
