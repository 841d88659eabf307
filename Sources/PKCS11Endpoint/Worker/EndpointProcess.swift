import PKCS11

/// The binding's process hardening, for front ends that load modules through this endpoint and
/// do not use the binding themselves.
public enum EndpointProcess {
    /// Ignores SIGPIPE and turns core dumps off (``PKCS11/ProcessHardening/apply()``): call once,
    /// before any PIN, share or key is read.
    ///
    /// - Returns: whether core dumps could be disabled.
    @discardableResult
    public static func harden() -> Bool { ProcessHardening.apply() }
}
