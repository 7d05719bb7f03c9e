import LabKit

/// The worker's knobs (the variants set FENCING; `labsvc knobs week37` and the README list them).
struct LockWorkerSettings {
    var fencing: Fencing
    var ttl: Duration
    var work: Duration
    var think: Duration
    var longTask: Duration
    var retry: Duration

    static let fencingKnob = Knob<Fencing>.choice(
        "FENCING", default: .off,
        "`off`: the storage applies every write (the lock alone); `on`: a read under the lock registers its token, and a write is applied only if no higher token has been seen (`UPDATE … WHERE fence <= $token`)"
    )
    static let ttlKnob = Knob.milliseconds("LOCK_TTL_MS", default: 1_000, in: 100...60_000, "the lock's time to live in Redis (SET NX PX)")
    static let workKnob = Knob.milliseconds(
        "WORK_MS", default: 20, in: 0...10_000, "one update's work inside the lock, between reading the resource and writing it")
    static let thinkKnob = Knob.milliseconds("THINK_MS", default: 30, in: 0...10_000, "how long a worker waits between two updates")
    static let longTaskKnob = Knob.milliseconds(
        "LONG_TASK_MS", default: 600, in: 0...60_000,
        "POST /tasks/long: the work of one long update (within the TTL, it is safe on its own)")
    static let retryKnob = Knob.milliseconds(
        "LOCK_RETRY_MS", default: 5, in: 1...1_000, "how long a worker waits before asking again for a taken lock")

    static let knobs: [any LabKnob] = [fencingKnob, ttlKnob, workKnob, thinkKnob, longTaskKnob, retryKnob]

    init(_ knobs: KnobReader) throws {
        fencing = try knobs.read(Self.fencingKnob)
        ttl = try knobs.read(Self.ttlKnob)
        work = try knobs.read(Self.workKnob)
        think = try knobs.read(Self.thinkKnob)
        longTask = try knobs.read(Self.longTaskKnob)
        retry = try knobs.read(Self.retryKnob)
    }
}
