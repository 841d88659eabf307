public import HSMSyncModel
import SignedLog

extension AuditAction {
    /// A transport key was generated and split (``TransportKeyGenerationSummary``).
    public static let transportGenerate = AuditAction("transport.generate")
    /// The shares went to the custodians: files written or shown on the terminal (never their words).
    public static let transportSharesDelivered = AuditAction("transport.shares.delivered")
    /// A transport key was installed from host memory and read back (``TransportKeyInstallResult``).
    public static let transportInstall = AuditAction("transport.install")
    /// Two HSMs agreed a transport key by ECDH (``TransportAgreementResult``).
    public static let transportAgree = AuditAction("transport.agree")
    /// Every HSM's transport key was checked (``TransportVerifyReport``).
    public static let transportVerify = AuditAction("transport.verify")
}
