internal import CPKCS11

extension Session {
    /// Calls `C_SignInit` and `C_Sign` (AES-CMAC, ECDSA, EdDSA, RSA…).
    public func sign(_ data: [UInt8], with key: ObjectHandle, mechanism: Mechanism) throws(PKCS11Error) -> [UInt8] {
        try withCMechanism(mechanism) { (cMechanism) throws(PKCS11Error) in
            try check(functions.C_SignInit(handle, cMechanism, CK_OBJECT_HANDLE(key.rawValue)), .signInit)
        }
        var input = data
        return try variableLengthOutput(guess: 1_024, function: .sign) { output, length in
            functions.C_Sign(handle, &input, CK_ULONG(input.count), output, length)
        }
    }

    /// Calls `C_VerifyInit` and `C_Verify`.
    ///
    /// - Returns: `false` for `CKR_SIGNATURE_INVALID` or `CKR_SIGNATURE_LEN_RANGE`; other failures throw.
    public func verify(_ data: [UInt8], signature: [UInt8], with key: ObjectHandle, mechanism: Mechanism)
        throws(PKCS11Error) -> Bool
    {
        try withCMechanism(mechanism) { (cMechanism) throws(PKCS11Error) in
            try check(functions.C_VerifyInit(handle, cMechanism, CK_OBJECT_HANDLE(key.rawValue)), .verifyInit)
        }
        var input = data
        var signatureBytes = signature
        let rv = functions.C_Verify(handle, &input, CK_ULONG(input.count), &signatureBytes, CK_ULONG(signature.count))
        if rv == CKR_SIGNATURE_INVALID || rv == CKR_SIGNATURE_LEN_RANGE {
            return false
        }
        try check(rv, .verify)
        return true
    }

    /// Calls `C_EncryptInit` and `C_Encrypt` (used for encrypt-a-zero-block key check values).
    public func encrypt(_ data: [UInt8], with key: ObjectHandle, mechanism: Mechanism) throws(PKCS11Error) -> [UInt8] {
        try withCMechanism(mechanism) { (cMechanism) throws(PKCS11Error) in
            try check(functions.C_EncryptInit(handle, cMechanism, CK_OBJECT_HANDLE(key.rawValue)), .encryptInit)
        }
        var input = data
        return try variableLengthOutput(guess: data.count + 64, function: .encrypt) { output, length in
            functions.C_Encrypt(handle, &input, CK_ULONG(input.count), output, length)
        }
    }

    /// Calls `C_DecryptInit` and `C_Decrypt`. hsmsync itself never decrypts with a key it manages;
    /// this exists so tests can demonstrate the attacks the attribute policy blocks.
    public func decrypt(_ data: [UInt8], with key: ObjectHandle, mechanism: Mechanism) throws(PKCS11Error) -> [UInt8] {
        try withCMechanism(mechanism) { (cMechanism) throws(PKCS11Error) in
            try check(functions.C_DecryptInit(handle, cMechanism, CK_OBJECT_HANDLE(key.rawValue)), .decryptInit)
        }
        var input = data
        return try variableLengthOutput(guess: data.count + 64, function: .decrypt) { output, length in
            functions.C_Decrypt(handle, &input, CK_ULONG(input.count), output, length)
        }
    }
}
