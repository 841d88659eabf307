public import HSMSyncModel
public import PKCS11Endpoint

extension HSMConnection {
    /// The local PKCS#11 worker behind a connection, for tests that inspect a token through its
    /// session.
    public var worker: HSMWorker? { endpoint as? HSMWorker }
}
