import HSMSyncModel
public import PKCS11
import SecureMemory

extension Session {
    /// The transport check value of the key `transportKey` in this HSM: the probe is created as a
    /// session object, wrapped, and destroyed.
    public func transportCheckValue(of transportKey: ObjectHandle) throws(PKCS11Error) -> String {
        let probe = try createObject(
            [
                .class(.secretKey), .keyType(.aes), .bool(.token, false), .bool(.sensitive, false),
                .bool(.extractable, true), .label("hsmsync-transport-check-probe"),
            ],
            secretValue: SecretBytes(copying: TransportCheckValue.probeKey))
        defer { try? destroyObject(probe) }
        return TransportCheckValue.from(wrappedProbe: try wrapKey(probe, with: transportKey, mechanism: .aesKeyWrap))
    }
}
