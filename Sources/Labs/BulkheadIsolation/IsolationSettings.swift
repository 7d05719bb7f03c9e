import LabKit

/// The api's knobs: which resources are shared, and how big each pool is.
struct IsolationSettings {
    enum Pools: String, CaseIterable {
        case shared
        case perDependency = "per-dependency"
    }

    enum Blocking: String, CaseIterable {
        case inline
        case executor
    }

    var pools: Pools
    var sharedPoolSize: Int
    var poolWait: Duration
    var inventoryPoolSize: Int
    var inventoryPoolWait: Duration
    var reportsPoolSize: Int
    var reportsPoolWait: Duration
    var blocking: Blocking
    var blockingThreads: Int
    var blockingQueue: Int
    var dependencyTimeout: Duration
    var legacyTimeout: Duration

    static let poolsKnob = Knob<Pools>.choice(
        "POOLS", default: .shared, "`shared`: one connection pool for inventory and reports; `per-dependency`: a pool each")
    static let sharedPoolSizeKnob = Knob.wholeNumber("SHARED_POOL_SIZE", default: 20, in: 1...10_000, "POOLS=shared: connections in the pool")
    static let poolWaitKnob = Knob.milliseconds(
        "POOL_WAIT_MS", default: 1_000, in: 0...600_000, "POOLS=shared: how long a call waits for a free connection (the pool timeout)")
    static let inventoryPoolSizeKnob = Knob.wholeNumber(
        "INVENTORY_POOL_SIZE", default: 4, in: 1...10_000, "POOLS=per-dependency: connections to inventory")
    static let inventoryPoolWaitKnob = Knob.milliseconds(
        "INVENTORY_POOL_WAIT_MS", default: 100, in: 0...600_000, "POOLS=per-dependency: wait for an inventory connection")
    static let reportsPoolSizeKnob = Knob.wholeNumber(
        "REPORTS_POOL_SIZE", default: 4, in: 1...10_000, "POOLS=per-dependency: connections to reports")
    static let reportsPoolWaitKnob = Knob.milliseconds(
        "REPORTS_POOL_WAIT_MS", default: 0, in: 0...600_000, "POOLS=per-dependency: wait for a reports connection (0: shed at once)")
    static let blockingKnob = Knob<Blocking>.choice(
        "BLOCKING", default: .inline, "`inline`: the blocking legacy client runs on Swift's cooperative threads; `executor`: on threads of its own")
    static let blockingThreadsKnob = Knob.wholeNumber(
        "BLOCKING_THREADS", default: 4, in: 1...1_000, "BLOCKING=executor: threads for blocking calls")
    static let blockingQueueKnob = Knob.wholeNumber(
        "BLOCKING_QUEUE", default: 0, in: 0...100_000, "BLOCKING=executor: calls that may wait for a thread (the rest are shed)")
    static let dependencyTimeoutKnob = Knob.milliseconds(
        "DEPENDENCY_TIMEOUT_MS", default: 5_000, in: 1...600_000, "a call to inventory or reports may take this long (the pool wait included)")
    static let legacyTimeoutKnob = Knob.milliseconds(
        "LEGACY_TIMEOUT_MS", default: 5_000, in: 1...600_000, "the blocking legacy client's socket timeout")

    static let knobs: [any LabKnob] = [
        poolsKnob, sharedPoolSizeKnob, poolWaitKnob, inventoryPoolSizeKnob, inventoryPoolWaitKnob, reportsPoolSizeKnob, reportsPoolWaitKnob,
        blockingKnob, blockingThreadsKnob, blockingQueueKnob, dependencyTimeoutKnob, legacyTimeoutKnob,
    ]

    init(_ knobs: KnobReader) throws {
        pools = try knobs.read(Self.poolsKnob)
        sharedPoolSize = try knobs.read(Self.sharedPoolSizeKnob)
        poolWait = try knobs.read(Self.poolWaitKnob)
        inventoryPoolSize = try knobs.read(Self.inventoryPoolSizeKnob)
        inventoryPoolWait = try knobs.read(Self.inventoryPoolWaitKnob)
        reportsPoolSize = try knobs.read(Self.reportsPoolSizeKnob)
        reportsPoolWait = try knobs.read(Self.reportsPoolWaitKnob)
        blocking = try knobs.read(Self.blockingKnob)
        blockingThreads = try knobs.read(Self.blockingThreadsKnob)
        blockingQueue = try knobs.read(Self.blockingQueueKnob)
        dependencyTimeout = try knobs.read(Self.dependencyTimeoutKnob)
        legacyTimeout = try knobs.read(Self.legacyTimeoutKnob)
    }
}
