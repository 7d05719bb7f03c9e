import LabKit

/// The api's knobs (the lab's variants set them; `labsvc knobs week34` and the README list them).
struct ViewCounterSettings {
    enum Strategy: String, CaseIterable, Sendable {
        /// GET the count, add one, SET it back: two round trips with a gap between them.
        case getSet = "get-set"
        /// INCR one of SHARDS keys, chosen at random; the total is the sum of the shards.
        case shardedIncr = "sharded-incr"
    }

    var strategy: Strategy
    var shards: Int
    var videos: Int
    var pollInterval: Duration

    static let strategyKnob = Knob<Strategy>.choice(
        "COUNTER", default: .getSet,
        "`get-set`: read the count, add one, write it back; `sharded-incr`: INCR one of SHARDS keys, the total is their sum")
    static let shardsKnob = Knob.wholeNumber(
        "SHARDS", default: 8, in: 1...256, "sharded-incr: how many keys one video's count is spread over")
    static let videosKnob = Knob.wholeNumber(
        "VIDEOS", default: 1, in: 1...1_000, "the catalog: videos 1…VIDEOS can be viewed (others answer 404)")
    static let pollKnob = Knob.milliseconds(
        "COUNT_POLL_MS", default: 250, in: 10...60_000, "how often each replica reads the stored totals into `views_stored`")

    static let knobs: [any LabKnob] = [strategyKnob, shardsKnob, videosKnob, pollKnob]

    init(_ knobs: KnobReader) throws {
        strategy = try knobs.read(Self.strategyKnob)
        shards = try knobs.read(Self.shardsKnob)
        videos = try knobs.read(Self.videosKnob)
        pollInterval = try knobs.read(Self.pollKnob)
    }
}
