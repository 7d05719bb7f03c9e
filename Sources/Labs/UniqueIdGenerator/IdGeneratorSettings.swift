import LabKit

/// The generator's knobs (the variants set WORKER_IDS and CLOCK_BACKWARDS; `labsvc knobs week48`).
struct IdGeneratorSettings {
    var workerIds: WorkerIdSource
    var clockBackwards: ClockBackwards
    var maxWait: Duration
    var leaseTTL: Duration
    var idsPerTick: Int
    var tick: Duration
    var outboxCapacity: Int

    static let workerIdsKnob = Knob<WorkerIdSource>.choice(
        "WORKER_IDS", default: .registry,
        "`registry`: ask the registry once at start (a counter in its memory); `lease`: lease one in Redis (SET NX PX), renewed every TTL/3"
    )
    static let clockBackwardsKnob = Knob<ClockBackwards>.choice(
        "CLOCK_BACKWARDS", default: .ignore,
        "when the clock reads earlier than the last millisecond used — `ignore`: mint there anyway; `wait-or-refuse`: wait up to CLOCK_MAX_WAIT_MS, else answer 503"
    )
    static let maxWaitKnob = Knob.milliseconds(
        "CLOCK_MAX_WAIT_MS", default: 500, in: 0...10_000,
        "with wait-or-refuse: the largest step back a request waits out; a larger one is refused")
    static let leaseTTLKnob = Knob.milliseconds(
        "LEASE_TTL_MS", default: 2_000, in: 300...60_000,
        "with WORKER_IDS=lease: the worker-id lease's time to live (renewed every third of it)")

    static let idsPerTickKnob = Knob.wholeNumber(
        "APP_IDS_PER_TICK", default: 10, in: 0...4_096,
        "ids the generator's own application mints at each tick (0: none; GET /ids still answers)")
    static let tickKnob = Knob.milliseconds("APP_TICK_MS", default: 1, in: 1...1_000, "how often the application mints")
    static let outboxKnob = Knob.wholeNumber(
        "OUTBOX_MAX_IDS", default: 200_000, in: 1_000...10_000_000,
        "undelivered ids at most; when full, the application stops minting (nothing is dropped)")

    static let knobs: [any LabKnob] = [workerIdsKnob, clockBackwardsKnob, maxWaitKnob, leaseTTLKnob, idsPerTickKnob, tickKnob, outboxKnob]

    init(_ knobs: KnobReader) throws {
        workerIds = try knobs.read(Self.workerIdsKnob)
        clockBackwards = try knobs.read(Self.clockBackwardsKnob)
        maxWait = try knobs.read(Self.maxWaitKnob)
        leaseTTL = try knobs.read(Self.leaseTTLKnob)
        idsPerTick = try knobs.read(Self.idsPerTickKnob)
        tick = try knobs.read(Self.tickKnob)
        outboxCapacity = try knobs.read(Self.outboxKnob)
    }
}
