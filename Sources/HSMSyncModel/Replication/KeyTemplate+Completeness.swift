extension KeyTemplate {
    /// Refuses a template that would leave anything to a destination token's defaults (security rule
    /// R4): a class or key type hsmsync does not replicate, a `CKA_ID` that is not lowercase hex, a
    /// boolean attribute of the class without a value, or a public key without its public material.
    ///
    /// - Throws: ``ReplicationError/unsupportedKey(_:reason:)`` or
    ///   ``ReplicationError/envelopeInvalid(_:)`` naming the first gap.
    public func checkComplete() throws(ReplicationError) {
        guard isReplicable else {
            throw .unsupportedKey(identity.description, reason: "class \(objectClass), type \(keyType)")
        }
        guard Hex.decode(id) != nil else { throw .envelopeInvalid("CKA_ID is not lowercase hex") }
        for name in Self.booleanAttributes(for: objectClass) where flags[name] == nil {
            throw .envelopeInvalid(
                name == .modifiable ? "the template lacks CKA_MODIFIABLE" : "the template lacks \(name)")
        }
        guard objectClass == .publicKey else { return }
        for name in Self.publicAttributes(for: objectClass, keyType: keyType)
        where publicAttributes[name].flatMap(Hex.decode) == nil {
            throw .envelopeInvalid("the public key template lacks \(name)")
        }
    }
}
