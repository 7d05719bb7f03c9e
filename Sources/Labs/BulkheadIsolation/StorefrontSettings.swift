import LabKit

/// The api's knobs: how its outbound connections are pooled and where its blocking work runs.
struct StorefrontSettings: Sendable {
    /// `shared`: one pool for every dependency (Apache HttpClient's `maxTotal`, a HikariCP pool for
    /// the whole app); `per-dependency`: a pool per dependency, each sized for its own traffic.
    enum Pools: String, CaseIterable, Sendable {
        case shared
        case perDependency = "per-dependency"
    }

    /// `inline`: the blocking export client runs in the request's task, on the cooperative pool;
    /// `executor`: on a `BlockingExecutor` of EXPORT_THREADS threads of its own.
    enum Exports: String, CaseIterable, Sendable {
        case inline, executor
    }

    var pools: Pools
    var sharedPoolSize: Int
    var sharedPoolWait: Duration
    var catalogPoolSize: Int
    var catalogPoolWait: Duration
    var reportsPoolSize: Int
    var reportsPoolWait: Duration
    var exports: Exports
    var exportThreads: Int
    var catalogTimeout: Duration
    var reportsTimeout: Duration

    static let poolsKnob = Knob<Pools>.choice(
        "POOLS", default: .perDependency,
        "`shared`: catalog and reports calls lease from one pool (SHARED_*); `per-dependency`: each has its own (CATALOG_*, REPORTS_*)")
    static let sharedPoolSizeKnob = Knob.wholeNumber("SHARED_POOL_SIZE", default: 20, in: 1...1_000, "connections of the shared pool")
    static let sharedPoolWaitKnob = Knob.milliseconds(
        "SHARED_POOL_WAIT_MS", default: 2_000, in: 0...60_000,
        "how long a call waits for a connection of the shared pool, then 503 (0: not at all)")
    static let catalogPoolSizeKnob = Knob.wholeNumber(
        "CATALOG_POOL_SIZE", default: 4, in: 1...1_000, "connections of the catalog's own pool")
    static let catalogPoolWaitKnob = Knob.milliseconds(
        "CATALOG_POOL_WAIT_MS", default: 250, in: 0...60_000, "how long a catalog call waits for a connection of its pool, then 503")
    static let reportsPoolSizeKnob = Knob.wholeNumber(
        "REPORTS_POOL_SIZE", default: 10, in: 1...1_000, "connections of the reports' own pool")
    static let reportsPoolWaitKnob = Knob.milliseconds(
        "REPORTS_POOL_WAIT_MS", default: 0, in: 0...60_000,
        "how long a reports call waits for a connection of its pool, then 503 (0: shed at once)")
    static let exportsKnob = Knob<Exports>.choice(
        "EXPORTS", default: .executor,
        "`inline`: the blocking export client runs on the cooperative pool; `executor`: on threads of its own")
    static let exportThreadsKnob = Knob.wholeNumber(
        "EXPORT_THREADS", default: 4, in: 1...256, "threads of the export executor; an export that finds them all busy gets a 503 at once")
    static let catalogTimeoutKnob = Knob.milliseconds("CATALOG_TIMEOUT_MS", default: 1_000, in: 1...60_000, "timeout of one catalog call")
    static let reportsTimeoutKnob = Knob.milliseconds(
        "REPORTS_TIMEOUT_MS", default: 10_000, in: 1...60_000, "timeout of one reports call (and of one export)")

    static let knobs: [any LabKnob] = [
        poolsKnob, sharedPoolSizeKnob, sharedPoolWaitKnob, catalogPoolSizeKnob, catalogPoolWaitKnob, reportsPoolSizeKnob,
        reportsPoolWaitKnob, exportsKnob, exportThreadsKnob, catalogTimeoutKnob, reportsTimeoutKnob,
    ]

    init(_ knobs: KnobReader) throws {
        pools = try knobs.read(Self.poolsKnob)
        sharedPoolSize = try knobs.read(Self.sharedPoolSizeKnob)
        sharedPoolWait = try knobs.read(Self.sharedPoolWaitKnob)
        catalogPoolSize = try knobs.read(Self.catalogPoolSizeKnob)
        catalogPoolWait = try knobs.read(Self.catalogPoolWaitKnob)
        reportsPoolSize = try knobs.read(Self.reportsPoolSizeKnob)
        reportsPoolWait = try knobs.read(Self.reportsPoolWaitKnob)
        exports = try knobs.read(Self.exportsKnob)
        exportThreads = try knobs.read(Self.exportThreadsKnob)
        catalogTimeout = try knobs.read(Self.catalogTimeoutKnob)
        reportsTimeout = try knobs.read(Self.reportsTimeoutKnob)
    }
}
