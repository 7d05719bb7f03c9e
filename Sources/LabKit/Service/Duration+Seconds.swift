extension Duration {
    /// This duration in (fractional) seconds, for gauges and JSON.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
