extension Duration {
    /// The duration in seconds, for test output and rates.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
