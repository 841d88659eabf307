public import PKCS11

#if canImport(SecureMemory)
    import SecureMemory
#endif

extension Session {
    /// Creates a secret key of known value (tests only), `CKA_VALUE` lent from a secret buffer:
    /// the same key material can be placed on tokens of different implementations.
    @discardableResult
    public func createKnownSecretKey(value: [UInt8], template: [Attribute]) throws -> ObjectHandle {
        try createObject(template, secretValue: SecretBytes(copying: value))
    }
}
