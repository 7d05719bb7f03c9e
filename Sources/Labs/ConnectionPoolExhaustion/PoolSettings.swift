import LabKit

extension ConnectionPoolExhaustionLab {
    /// One pool's knobs: `<PREFIX>_POOL_SIZE`, `<PREFIX>_ACQUIRE_TIMEOUT_MS` (how long a request may
    /// wait for a connection; 0 = forever) and `<PREFIX>_STATEMENT_TIMEOUT_MS` (PostgreSQL cancels a
    /// statement running longer; 0 = never).
    struct PoolSettings {
        var name: String
        var size: Int
        var acquireTimeout: Duration
        var statementTimeoutMilliseconds: Int

        init(_ prefix: String, name: String, _ context: LabContext) throws {
            self.name = name
            size = max(1, try context.integer("\(prefix)_POOL_SIZE", default: 5))
            let acquire = try context.integer("\(prefix)_ACQUIRE_TIMEOUT_MS", default: 0)
            // "No acquire timeout" is an hour: longer than any client waits.
            acquireTimeout = acquire == 0 ? .seconds(3600) : .milliseconds(acquire)
            statementTimeoutMilliseconds = try context.integer("\(prefix)_STATEMENT_TIMEOUT_MS", default: 0)
        }
    }

    /// `POOLS=shared`: one pool (`DB_*` knobs) serves both paths. `POOLS=split`: the fast path gets
    /// `FAST_*`, the slow path `SLOW_*` — a bulkhead, so the slow path can only exhaust its own pool.
    enum PoolLayout: String {
        case shared, split
    }
}
