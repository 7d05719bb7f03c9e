import LabKit

/// One tier's knobs, from the environment (the lab's variants set them; the README lists them).
struct TierSettings {
    enum Pools: String {
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
    /// `REQUEST_BUDGET_MS` (web only; 0 = none): the deadline the web gives each request it receives;
    /// every hop's timeout is capped by what is left of it, and it travels as `x-request-timeout-ms`.
    var requestBudget: Duration?
    private let context: LabContext

    init(_ context: LabContext) throws {
        self.context = context
        let raw = (context.environment["POOLS"] ?? "shared").lowercased()
        guard let pools = Pools(rawValue: raw) else { throw LabStartupError("POOLS=\(raw): expected shared or per-dependency") }
        self.pools = pools
        poolSize = max(1, try context.integer("POOL_SIZE", default: 8))
        poolQueue = try context.integer("POOL_QUEUE", default: 16)
        poolWait = .milliseconds(try context.integer("POOL_WAIT_MS", default: 30_000))
        bulkheadWait = .milliseconds(try context.integer("BULKHEAD_WAIT_MS", default: 0))
        let budget = try context.integer("REQUEST_BUDGET_MS", default: 0)
        requestBudget = budget > 0 ? .milliseconds(budget) : nil
    }

    /// The timeout of one call to `dependency` (`<DEPENDENCY>_TIMEOUT_MS`, default 10 s: "long").
    func timeout(_ dependency: String) throws -> Duration {
        .milliseconds(max(1, try context.integer("\(dependency.uppercased())_TIMEOUT_MS", default: 10_000)))
    }

    /// The slots of `dependency`'s bulkhead (`BULKHEAD_<DEPENDENCY>_SLOTS`, default 4).
    func bulkheadSlots(_ dependency: String) throws -> Int {
        max(1, try context.integer("BULKHEAD_\(dependency.uppercased())_SLOTS", default: 4))
    }
}
