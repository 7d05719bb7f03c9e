import LabKit

/// The checker's knobs (`labsvc knobs week48 checker`).
struct IdCheckerSettings: Sendable {
    var callTimeout: Duration
    var generatorBench: Duration
    var sequenceBench: Duration
    var sequenceConnections: Int

    static let callTimeoutKnob = Knob.milliseconds(
        "GENERATOR_TIMEOUT_MS", default: 2_000, in: 10...60_000, "how long the checker waits for one generator's answer")
    static let generatorBenchKnob = Knob.milliseconds(
        "BENCH_GENERATOR_MS", default: 300, in: 10...10_000, "POST /bench: how long each generator mints (ids thrown away)")
    static let sequenceBenchKnob = Knob.milliseconds(
        "BENCH_SEQUENCE_MS", default: 1_000, in: 10...10_000, "POST /bench: how long the checker calls nextval")
    static let sequenceConnectionsKnob = Knob.wholeNumber(
        "BENCH_SEQUENCE_CONNECTIONS", default: 4, in: 1...64,
        "POST /bench: nextval loops at once, one connection each (at most DB_POOL_SIZE)")

    static let knobs: [any LabKnob] = [callTimeoutKnob, generatorBenchKnob, sequenceBenchKnob, sequenceConnectionsKnob]

    init(_ knobs: KnobReader) throws {
        callTimeout = try knobs.read(Self.callTimeoutKnob)
        generatorBench = try knobs.read(Self.generatorBenchKnob)
        sequenceBench = try knobs.read(Self.sequenceBenchKnob)
        sequenceConnections = try knobs.read(Self.sequenceConnectionsKnob)
    }
}
