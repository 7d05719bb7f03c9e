extension LabService {
    /// A ``ConnectionPool`` of the service's own (give it to a peer: `peer.pool = pool`), shut down
    /// when the service stops — its AsyncHTTPClient must not be dropped while running.
    public func connectionPool(name: String, size: Int, maxWait: Duration) -> ConnectionPool {
        let pool = ConnectionPool(name: name, size: size, maxWait: maxWait)
        onShutdown { try? await pool.shutdown() }
        return pool
    }
}
