import LabKit

/// The api's knobs (the variants set MEMO_CACHE and LISTENERS).
struct ReportSettings: Sendable {
    var boundedCache: Bool
    var cacheEntries: Int
    var scopedListeners: Bool
    var reportBytes: Int

    static let memoCache = Knob.choice(
        "MEMO_CACHE", among: ["unbounded", "lru"], default: "lru",
        "`unbounded`: every rendered report is kept forever; `lru`: only the CACHE_ENTRIES most recently used")
    static let cacheEntriesKnob = Knob.wholeNumber("CACHE_ENTRIES", default: 500, in: 1...1_000_000, "the LRU cache's capacity, in reports")
    static let listeners = Knob.choice(
        "LISTENERS", among: ["leak", "scoped"], default: "scoped",
        "`leak`: a request's price listener stays subscribed forever; `scoped`: it is removed when the request ends")
    static let reportKB = Knob.wholeNumber("REPORT_KB", default: 32, in: 1...4_096, "the size of one rendered report, in KB")

    static let knobs: [any LabKnob] = [memoCache, cacheEntriesKnob, listeners, reportKB]

    init(_ knobs: KnobReader) throws {
        boundedCache = try knobs.read(Self.memoCache) == "lru"
        cacheEntries = try knobs.read(Self.cacheEntriesKnob)
        scopedListeners = try knobs.read(Self.listeners) == "scoped"
        reportBytes = try knobs.read(Self.reportKB) * 1024
    }
}
