import LabKit

/// One tier's knobs (the lab's variants set them; `labsvc knobs week09` and the README list them).
struct TierSettings {
    enum Pools: String, CaseIterable, Sendable {
        /// ONE pool of `POOL_SIZE` slots for every outbound call, with a FIFO queue of `POOL_QUEUE` that
        /// waits up to `POOL_WAIT_MS` (then 503): whichever dependency is slow takes every slot.
        case shared
        /// A bulkhead per dependency (`BULKHEAD_<DEPENDENCY>_SLOTS`), waiting at most `BULKHEAD_WAIT_MS`
        /// (0 = fail fast with 503 when full): a slow dependency can only take its own slots.
        case perDependency = "per-dependency"
    }

    var pools: Pools
    var poolSize: Int
    var poolQueue: Int
    var poolWait: Duration
    var bulkheadWait: Duration
    /// `REQUEST_BUDGET_MS` (0 = none): the deadline the tier gives each request it receives (capped by the
    /// caller's); every hop's timeout is capped by what is left of it, and it travels as `x-request-timeout-ms`.
    var requestBudget: Duration?
    /// By peer: the timeout of one call to it.
    private var timeouts: [String: Duration]
    /// By dependency: the slots of its bulkhead.
    private var slots: [String: Int]

    static let poolsKnob = Knob<Pools>.choice(
        "POOLS", default: .shared,
        "`shared`: one patient pool for every outbound call; `per-dependency`: a bulkhead per dependency that fails fast")
    static let poolSizeKnob = Knob.wholeNumber("POOL_SIZE", default: 8, in: 1...10_000, "`shared`: calls in flight, at most")
    static let poolQueueKnob = Knob.wholeNumber("POOL_QUEUE", default: 16, in: 0..., "`shared`: calls waiting for a slot, at most")
    static let poolWaitKnob = Knob.milliseconds(
        "POOL_WAIT_MS", default: 30_000, in: 0...3_600_000, "`shared`: how long a call waits for a slot, then 503")
    static let bulkheadWaitKnob = Knob.milliseconds(
        "BULKHEAD_WAIT_MS", default: 0, in: 0...3_600_000, "`per-dependency`: how long a call waits for a slot (0: 503 at once when full)")
    static let requestBudgetKnob = Knob.milliseconds(
        "REQUEST_BUDGET_MS", default: 0, in: 0...3_600_000,
        "the deadline this tier gives each request it receives, spent by every hop below (0: none)")

    /// `<PEER>_TIMEOUT_MS`: the timeout of one call to `peer` (default 10 s: "long").
    static func timeoutKnob(_ peer: String) -> Knob<Duration> {
        Knob.milliseconds("\(peer.uppercased())_TIMEOUT_MS", default: 10_000, in: 1...3_600_000, "timeout of one call to \(peer)")
    }

    /// `BULKHEAD_<DEPENDENCY>_SLOTS`: the slots of `dependency`'s bulkhead.
    static func slotsKnob(_ dependency: String) -> Knob<Int> {
        Knob.wholeNumber(
            "BULKHEAD_\(dependency.uppercased())_SLOTS", default: 4, in: 1...10_000,
            "`per-dependency`: calls for \(dependency) in flight, at most")
    }

    /// The knobs of a tier that calls `peers` for `dependencies`.
    static func knobs(peers: [String], dependencies: [String]) -> [any LabKnob] {
        [poolsKnob, poolSizeKnob, poolQueueKnob, poolWaitKnob, bulkheadWaitKnob, requestBudgetKnob]
            + peers.map(timeoutKnob) + dependencies.map(slotsKnob)
    }

    init(_ knobs: KnobReader, peers: [String], dependencies: [String]) throws {
        pools = try knobs.read(Self.poolsKnob)
        poolSize = try knobs.read(Self.poolSizeKnob)
        poolQueue = try knobs.read(Self.poolQueueKnob)
        poolWait = try knobs.read(Self.poolWaitKnob)
        bulkheadWait = try knobs.read(Self.bulkheadWaitKnob)
        let budget = try knobs.read(Self.requestBudgetKnob)
        requestBudget = budget > .zero ? budget : nil
        timeouts = try Dictionary(peers.map { ($0, try knobs.read(Self.timeoutKnob($0))) }) { first, _ in first }
        slots = try Dictionary(dependencies.map { ($0, try knobs.read(Self.slotsKnob($0))) }) { first, _ in first }
    }

    /// The timeout of one call to `peer`.
    func timeout(_ peer: String) -> Duration { timeouts[peer]! }

    /// The slots of `dependency`'s bulkhead.
    func bulkheadSlots(_ dependency: String) -> Int { slots[dependency]! }
}

extension CascadingFailuresLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "web": TierSettings.knobs(peers: ["api"], dependencies: ["payments", "catalog"]),
        "api": TierSettings.knobs(peers: ["payments", "catalog"], dependencies: ["payments", "catalog"]),
        "payments": Leaf.knobs,
        "catalog": Leaf.knobs,
    ]
}
