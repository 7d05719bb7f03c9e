import LabKit

/// The worker's knobs: its capacity and the policy of the queue in front of it.
struct SheddingQueueSettings {
    var workers: Int
    var work: Duration
    var pool: WorkerPool<ContinuousClock>.Configuration

    static let workersKnob = Knob.wholeNumber("WORKERS", default: 4, in: 1...1_000, "requests served at once")
    static let workKnob = Knob.milliseconds("WORK_MS", default: 50, in: 1...60_000, "how long one request holds a worker")
    static let queueKnob = Knob.choice(
        "QUEUE", among: ["unbounded", "bounded"], default: "unbounded",
        "`unbounded`: every request waits its turn; `bounded`: at most QUEUE_LIMIT wait")
    static let queueLimitKnob = Knob.wholeNumber(
        "QUEUE_LIMIT", default: 8, in: 0...100_000,
        "with QUEUE=bounded: requests that may wait; a request finding it full gets a 503 at once")
    static let orderKnob = Knob<WorkerPool<ContinuousClock>.Order>.choice(
        "QUEUE_ORDER", default: .fifo, "who is served next: oldest first, newest first, or FIFO until a queue stands and then LIFO")
    static let codelKnob = Knob.flag(
        "CODEL", default: false, "queue timeout CODEL_INTERVAL_MS, cut to CODEL_TARGET_MS once the queue has not emptied for an interval")
    static let codelTargetKnob = Knob.milliseconds(
        "CODEL_TARGET_MS", default: 5, in: 1...60_000, "CoDel: the queue timeout while a queue stands")
    static let codelIntervalKnob = Knob.milliseconds(
        "CODEL_INTERVAL_MS", default: 100, in: 1...60_000, "CoDel: how long the queue must stay non-empty to count as standing")
    static let prioritiesKnob = Knob.flag(
        "PRIORITIES", default: false, "serve `x-priority: critical` first and let it push `sheddable`, then `normal`, out of a full queue")

    static let knobs: [any LabKnob] = [
        workersKnob, workKnob, queueKnob, queueLimitKnob, orderKnob, codelKnob, codelTargetKnob, codelIntervalKnob, prioritiesKnob,
    ]

    init(_ knobs: KnobReader) throws {
        workers = try knobs.read(Self.workersKnob)
        work = try knobs.read(Self.workKnob)
        let bounded = try knobs.read(Self.queueKnob) == "bounded"
        let target = try knobs.read(Self.codelTargetKnob)
        let interval = try knobs.read(Self.codelIntervalKnob)
        guard interval >= target else { throw LabStartupError("CODEL_INTERVAL_MS must be at least CODEL_TARGET_MS") }
        pool = .init(
            workers: workers,
            maxQueueLength: bounded ? try knobs.read(Self.queueLimitKnob) : nil,
            order: try knobs.read(Self.orderKnob),
            codel: try knobs.read(Self.codelKnob) ? .init(target: target, interval: interval) : nil,
            usesPriorities: try knobs.read(Self.prioritiesKnob)
        )
    }
}
