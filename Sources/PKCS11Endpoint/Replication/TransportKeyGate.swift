public import HSMSyncModel
public import PKCS11
import SignedLog

/// The check a transport key passes before every use in replication (SECURITY.md R1, R2): read its
/// attributes back from the HSM and refuse it when it may do anything but wrap and unwrap, is
/// modifiable, copyable, extractable, not sensitive or not on the token.
public enum TransportKeyGate {
    /// Refuses a transport key that breaks the rules, naming every problem.
    ///
    /// - Throws: ``ReplicationError/transportKeyRefused(hsm:problems:)``, or
    ///   ``ReplicationError/hsmFailure(hsm:operation:error:outcomeUnknown:)`` when it cannot be read.
    public static func check(_ session: borrowing Session, transportKey: ObjectHandle, hsm: String)
        throws(ReplicationError)
    {
        let record: KeyRecord
        do {
            record = try session.keyRecord(of: transportKey)
        } catch {
            throw .hsmFailure(
                hsm: hsm, operation: "reading the transport key's attributes", error: "\(error)",
                outcomeUnknown: false)
        }
        let problems = TransportKeyPolicy.violations(record)
        guard problems.isEmpty else { throw .transportKeyRefused(hsm: hsm, problems: problems) }
    }
}
