internal import CPKCS11

/// Process-wide settings every hsmsync process applies before it loads a PKCS#11 module.
public enum ProcessHardening {
    /// Ignores SIGPIPE (a dying p11-kit server would otherwise kill us: its client writes with plain
    /// `write()`), and turns off core dumps so PINs, shares and reconstructed keys never reach disk.
    ///
    /// - Returns: whether core dumps could be disabled.
    @discardableResult
    public static func apply() -> Bool {
        ignoreSIGPIPE()
        return CPKCS11_disableCoreDumps() == 0
    }

    /// Ignores SIGPIPE only; for test processes that must stay debuggable.
    public static func ignoreSIGPIPE() {
        CPKCS11_ignoreSIGPIPE()
    }
}
