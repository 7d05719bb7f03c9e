import Foundation

extension LabService {
    /// A PostgreSQL pool for another server than `DATABASE_URL`: a standby (`DB_STANDBY_URL`), a
    /// second database of a two-phase commit (`BANK_B_URL`), one node of a failover pair. Started and
    /// stopped with the service, measured like the default pool under `poolName`; its size and
    /// acquire timeout are the `DB_POOL_SIZE`/`DB_ACQUIRE_TIMEOUT_MS` knobs. `readiness`: `/readyz`
    /// waits for `SELECT 1` (leave it off for a server the lab means to kill).
    public func postgres(urlVariable: String, poolName: String, readiness: Bool = true) throws -> LabPostgres {
        guard let raw = context.environment[urlVariable], !raw.isEmpty else {
            throw LabStartupError("\(context.serviceName) needs \(urlVariable) (a postgres:// URL)")
        }
        let db = LabPostgres(
            url: try DatabaseURL(raw), poolName: poolName, poolSize: try knobs.read(LabPostgres.poolSizeKnob),
            acquireTimeout: try knobs.read(LabPostgres.acquireTimeoutKnob), logger: context.logger)
        addService(db)
        if readiness { addReadinessCheck(poolName) { try await db.ping() } }
        return db
    }
}
