internal import CPKCS11

extension Session {
    /// Calls `C_GenerateKey`.
    public func generateKey(_ mechanism: Mechanism, template: [Attribute]) throws(PKCS11Error) -> ObjectHandle {
        var key: CK_OBJECT_HANDLE = 0
        let rv = withCMechanism(mechanism) { cMechanism in
            withCTemplate(template) { pointer, count in
                functions.C_GenerateKey(handle, cMechanism, pointer, count, &key)
            }
        }
        try check(rv, .generateKey)
        return ObjectHandle(rawValue: UInt(key))
    }

    /// Calls `C_GenerateKeyPair`.
    public func generateKeyPair(
        _ mechanism: Mechanism, publicKeyTemplate: [Attribute], privateKeyTemplate: [Attribute]
    ) throws(PKCS11Error) -> (publicKey: ObjectHandle, privateKey: ObjectHandle) {
        var publicKey: CK_OBJECT_HANDLE = 0
        var privateKey: CK_OBJECT_HANDLE = 0
        let rv = withCMechanism(mechanism) { cMechanism in
            withCTemplate(publicKeyTemplate) { publicPointer, publicCount in
                withCTemplate(privateKeyTemplate) { privatePointer, privateCount in
                    functions.C_GenerateKeyPair(
                        handle, cMechanism, publicPointer, publicCount, privatePointer, privateCount,
                        &publicKey, &privateKey)
                }
            }
        }
        try check(rv, .generateKeyPair)
        return (ObjectHandle(rawValue: UInt(publicKey)), ObjectHandle(rawValue: UInt(privateKey)))
    }

    /// Calls `C_WrapKey`: `key` encrypted under `wrappingKey`. The blob is not secret; the key is.
    ///
    /// One call with a generous buffer, a second only if it did not fit (slow HSMs do the whole
    /// wrap to answer a size query).
    public func wrapKey(_ key: ObjectHandle, with wrappingKey: ObjectHandle, mechanism: Mechanism) throws(PKCS11Error)
        -> [UInt8]
    {
        try withCMechanism(mechanism) { (cMechanism) throws(PKCS11Error) in
            try variableLengthOutput(guess: 8_192, function: .wrapKey) { output, length in
                functions.C_WrapKey(
                    handle, cMechanism, CK_OBJECT_HANDLE(wrappingKey.rawValue), CK_OBJECT_HANDLE(key.rawValue),
                    output, length)
            }
        }
    }

    /// Calls `C_UnwrapKey`: creates a key from `wrappedKey` under `unwrappingKey` with `template`.
    ///
    /// > Important: An integrity failure on SoftHSM2 2.6.1 is `CKR_GENERAL_ERROR`, not
    /// > `CKR_WRAPPED_KEY_INVALID`; interpret codes by context and never retry (SECURITY.md R18).
    public func unwrapKey(
        _ wrappedKey: [UInt8], with unwrappingKey: ObjectHandle, mechanism: Mechanism, template: [Attribute]
    ) throws(PKCS11Error) -> ObjectHandle {
        var key: CK_OBJECT_HANDLE = 0
        var blob = wrappedKey
        let rv = withCMechanism(mechanism) { cMechanism in
            withCTemplate(template) { pointer, count in
                functions.C_UnwrapKey(
                    handle, cMechanism, CK_OBJECT_HANDLE(unwrappingKey.rawValue), &blob, CK_ULONG(blob.count),
                    pointer, count, &key)
            }
        }
        try check(rv, .unwrapKey)
        return ObjectHandle(rawValue: UInt(key))
    }

    /// Calls `C_DeriveKey` (for example `CKM_ECDH1_DERIVE` with the peer's point).
    public func deriveKey(from baseKey: ObjectHandle, mechanism: Mechanism, template: [Attribute]) throws(PKCS11Error)
        -> ObjectHandle
    {
        var key: CK_OBJECT_HANDLE = 0
        let rv = withCMechanism(mechanism) { cMechanism in
            withCTemplate(template) { pointer, count in
                functions.C_DeriveKey(handle, cMechanism, CK_OBJECT_HANDLE(baseKey.rawValue), pointer, count, &key)
            }
        }
        try check(rv, .deriveKey)
        return ObjectHandle(rawValue: UInt(key))
    }

    /// Runs a PKCS#11 call that writes a variable-length output: first into a buffer of `guess`
    /// bytes, and once more with the length the module asked for when that was too small.
    func variableLengthOutput(
        guess: Int, function: Function,
        _ call: (UnsafeMutablePointer<CK_BYTE>?, UnsafeMutablePointer<CK_ULONG>) -> CK_RV
    ) throws(PKCS11Error) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: guess)
        var length = CK_ULONG(guess)
        var rv = output.withUnsafeMutableBufferPointer { call($0.baseAddress, &length) }
        if rv == CKR_BUFFER_TOO_SMALL && length != CPKCS11_CK_UNAVAILABLE_INFORMATION && Int(length) > guess {
            output = [UInt8](repeating: 0, count: Int(length))
            rv = output.withUnsafeMutableBufferPointer { call($0.baseAddress, &length) }
        }
        try check(rv, function)
        output.removeSubrange(Int(length)...)
        return output
    }
}
