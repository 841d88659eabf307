import Crypto
import HSMSyncModel
import SignedLog

/// The checks a signed bundle must still pass: a signature proves who wrote it, not that the writer
/// was right (SECURITY.md R24: lengths and types are validated independently of any token).
enum BackupConsistency {
    static func check(_ content: BackupContent, offsets: BackupOffsets, manifestOffset: Int, path: String)
        throws(BackupFormatError)
    {
        let manifest = content.manifest
        let counts = BackupCounts(
            keys: content.keys.count, objects: content.objects.count, excluded: content.excluded.count)
        guard manifest.counts == counts else {
            throw .inconsistent(
                path: path, offset: manifestOffset,
                reason: "the manifest counts \(manifest.counts.keys) keys, \(manifest.counts.objects) objects, "
                    + "\(manifest.counts.excluded) exclusions; the bundle holds \(counts.keys), \(counts.objects), "
                    + "\(counts.excluded)")
        }
        guard manifest.backupKey.checkValue.count == 16, Hex.decode(manifest.backupKey.checkValue) != nil else {
            throw .inconsistent(
                path: path, offset: manifestOffset, reason: "the backup key check value is not 16 hex digits")
        }
        var seen: Set<KeyIdentity> = []
        for (key, offset) in zip(content.keys, offsets.keys) {
            try checkKey(key, offset: offset, path: path)
            guard seen.insert(key.template.identity).inserted else {
                throw .inconsistent(path: path, offset: offset, reason: "\(key.template.identity) appears twice")
            }
        }
        for (object, offset) in zip(content.objects, offsets.objects) {
            try checkObject(object, offset: offset, path: path)
            guard seen.insert(object.template.identity).inserted else {
                throw .inconsistent(path: path, offset: offset, reason: "\(object.template.identity) appears twice")
            }
        }
    }

    private static func checkKey(_ key: BackupWrappedKey, offset: Int, path: String) throws(BackupFormatError) {
        let template = key.template
        let name = "\(template.identity)"
        func fail(_ reason: String) -> BackupFormatError {
            .inconsistent(path: path, offset: offset, reason: "\(name): \(reason)")
        }
        guard let objectClass = template.objectClass, objectClass.holdsSecretMaterial else {
            throw fail("a wrapped key must be a secret or private key")
        }
        guard let keyType = template.keyType else { throw fail("no CKA_KEY_TYPE") }
        guard template.label != nil, template.id != nil else { throw fail("no CKA_LABEL or CKA_ID") }
        guard template.bool(.extractable) == true else { throw fail("a wrapped key must be extractable") }
        guard let blob = Base64.decode(key.wrapped) else { throw fail("the wrapped key is not base64") }
        guard blob.count == key.wrappedLength else {
            throw fail("the wrapped key has \(blob.count) bytes, the section says \(key.wrappedLength)")
        }
        guard Array(SHA256.hash(data: blob)).hexString == key.wrappedSHA256 else {
            throw fail("the wrapped key does not match its SHA-256")
        }
        let expectedMechanism = WrapMechanismRule.mechanism(for: objectClass, keyType: keyType)
        guard key.mechanism == expectedMechanism else {
            throw fail("wrapped with \(key.mechanism), expected \(expectedMechanism) for a \(keyType) \(objectClass)")
        }
        if let problem = lengthProblem(
            blob.count, objectClass: objectClass, keyType: keyType, bits: key.bits, curve: key.curve)
        {
            throw fail(problem)
        }
    }

    /// Whether `length` bytes of wrapped key can hold a key of this type and size: RFC 3394 adds 8
    /// bytes to a multiple of 8; PKCS#8 encodings of private keys lie in a band around the size.
    static func lengthProblem(_ length: Int, objectClass: ObjectKind, keyType: KeyAlgorithm, bits: Int?, curve: String?)
        -> String?
    {
        guard length % 8 == 0, length >= 24 else {
            return "a wrapped key of \(length) bytes is not a whole number of 8-byte blocks above 16"
        }
        switch (objectClass, keyType) {
        case (.secretKey, .aes):
            if let bits {
                return length == bits / 8 + 8 ? nil : "an AES-\(bits) key wraps to \(bits / 8 + 8) bytes, not \(length)"
            }
            return [24, 32, 40].contains(length) ? nil : "\(length) bytes cannot be a wrapped AES key (24, 32 or 40)"
        case (.secretKey, _):
            if let bits {
                let expected = (bits / 8 + 7) / 8 * 8 + 8
                return length == expected ? nil : "a \(bits)-bit secret wraps to \(expected) bytes, not \(length)"
            }
            return nil
        case (.privateKey, .rsa):
            guard let bits else { return nil }
            let range = (bits / 8 * 3)...(bits / 8 * 7 + 128)
            return range.contains(length) ? nil : "\(length) bytes cannot hold an RSA-\(bits) private key (PKCS#8)"
        case (.privateKey, _):
            let curveBytes = ((bits ?? 256) + 7) / 8
            let range = (curveBytes + 16)...(curveBytes * 4 + 160)
            return range.contains(length)
                ? nil : "\(length) bytes cannot hold a \(curve ?? keyType.rawValue) private key (PKCS#8)"
        default:
            return nil
        }
    }

    private static func checkObject(_ object: BackupPublicObject, offset: Int, path: String) throws(BackupFormatError) {
        let template = object.template
        let name = "\(template.identity)"
        guard let objectClass = template.objectClass, [.publicKey, .certificate].contains(objectClass) else {
            throw .inconsistent(
                path: path, offset: offset, reason: "\(name): only public keys and certificates are kept as they are")
        }
        let recomputed = BackupPublicObjects.fingerprint(of: template)
        if let recorded = object.fingerprint.digest, recomputed.digest != recorded {
            throw .inconsistent(
                path: path, offset: offset, reason: "\(name): its attributes do not give the recorded fingerprint")
        }
    }
}
