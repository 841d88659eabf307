import Crypto
public import HSMSyncModel
import PKCS11

/// ``BackupEndpoint`` on a local PKCS#11 token.
extension HSMWorker {
    public func collectBackup(
        transportLabel: String, backupKeyLabel: String, scope: KeyScope, infrastructure: InfrastructureLabels
    ) throws -> BackupCollection {
        let hsm = name
        let capabilities = try capabilities()
        return try Self.device {
            try withSession { session in
                try Self.collect(
                    session: session, transportLabel: transportLabel, backupKeyLabel: backupKeyLabel, scope: scope,
                    infrastructure: infrastructure, hsm: hsm, capabilities: capabilities)
            }
        }
    }

    public func restore(_ key: BackupWrappedKey, backupKeyLabel: String) async -> BackupRestoreOutcome {
        let backupKey: Result<ObjectHandle, any Error>
        if let cached = restoreBackupKey, cached.label == backupKeyLabel {
            backupKey = .success(cached.handle)
        } else {
            // Found once for the run (the plan proved it by check value), not once per key; a
            // failed lookup fails each key with its reason, as a failed unwrap would.
            do {
                let handle = try withSession {
                    try $0.findObject(matching: [.class(.secretKey), .label(backupKeyLabel)])
                }
                restoreBackupKey = (backupKeyLabel, handle)
                backupKey = .success(handle)
            } catch {
                backupKey = .failure(error)
            }
        }
        return await BackupStaging.restore(key, backupKey: backupKey, on: self)
    }

    public func restore(_ object: BackupPublicObject) async -> BackupRestoreOutcome {
        await BackupStaging.restore(object, on: self)
    }

    /// Everything on the worker's thread, in one pass over one scan.
    static func collect(
        session: borrowing Session, transportLabel: String, backupKeyLabel label: String, scope: KeyScope,
        infrastructure: InfrastructureLabels, hsm: String, capabilities: TokenCapabilities
    ) throws -> BackupCollection {
        let (backupKey, reference) = try Self.backupKey(
            session, label: label, transportLabel: transportLabel, refused: capabilities.refused, hsm: hsm)

        let scan = try session.scanInventory(transportLabel: transportLabel, scope: scope)
        var counts: [KeyIdentity: Int] = [:]
        for record in scan.objects { counts[record.identity, default: 0] += 1 }

        var keys: [BackupWrappedKey] = []
        var objects: [BackupPublicObject] = []
        var excluded: [BackupExclusion] = []
        for (record, handle) in zip(scan.objects, scan.handles) {
            guard let objectLabel = record.label, !infrastructure.contains(label: objectLabel),
                scope.contains(label: objectLabel)
            else { continue }
            func exclude(_ why: String) {
                excluded.append(.init(identity: record.identity, keyType: record.keyType, reason: why))
            }
            // An in-scope object the token would not let us read whole is left out, and said.
            if record.isOdd {
                exclude("unreadable: " + record.oddities.joined(separator: "; "))
                continue
            }
            if counts[record.identity, default: 0] > 1 {
                exclude("\(counts[record.identity]!) objects share this class, label and CKA_ID (SECURITY.md R14)")
                continue
            }
            switch record.objectClass {
            case .secretKey, .privateKey:
                guard let keyType = record.keyType, BackupAttributeTable.keyTypes.contains(keyType) else {
                    exclude("key type \(record.keyType?.rawValue ?? "unknown") is not supported in backups")
                    continue
                }
                guard record.attributes.extractable == true else {
                    exclude("not extractable (CKA_EXTRACTABLE=false): it cannot be wrapped, by design (R13)")
                    continue
                }
                guard let (method, mechanism) = Self.wrap(record.objectClass, keyType, capabilities) else {
                    exclude("the token offers no key wrap to back it up with (AES-KW for AES keys, else AES-KWP)")
                    continue
                }
                let blob: [UInt8]
                do {
                    blob = try session.wrapKey(handle, with: backupKey, mechanism: mechanism)
                } catch {
                    // A `catch where` on this typed throw sends swift-frontend 6.3 (SIL) into an
                    // endless loop; the guard says the same.
                    guard Self.refusals.contains(error.code) else { throw error }
                    let hint =
                        record.attributes.wrapWithTrusted == true
                        ? " (CKA_WRAP_WITH_TRUSTED=true and the backup key is not CKA_TRUSTED)"
                        : record.keyType == .ecEdwards ? " (SoftHSM2 2.6.1 cannot wrap EdDSA keys)" : ""
                    exclude("the token refused to wrap it: \(error)\(hint)")
                    continue
                }
                let template = try BackupTemplate.read(handle, objectClass: record.objectClass, session: session)
                keys.append(
                    BackupWrappedKey(
                        template: template, bits: record.size, curve: record.curve, fingerprint: record.fingerprint,
                        provenance: record.provenance, mechanism: method.envelopeMechanism,
                        wrapped: Base64.encode(blob), wrappedLength: blob.count,
                        wrappedSHA256: Array(SHA256.hash(data: blob)).hexString))
            case .publicKey, .certificate:
                let template = try BackupTemplate.read(handle, objectClass: record.objectClass, session: session)
                objects.append(BackupPublicObject(template: template, fingerprint: record.fingerprint))
            default:
                exclude("\(record.objectClass) objects are not backed up (data objects may hold secrets in clear)")
            }
        }
        return BackupCollection(backupKey: reference, keys: keys, objects: objects, excluded: excluded)
    }

    /// The backup key's handle and reference, after checking it meets the KEK rules.
    private static func backupKey(
        _ session: borrowing Session, label: String, transportLabel: String, refused: Set<AttributeName>, hsm: String
    ) throws -> (ObjectHandle, BackupKeyReference) {
        let inspection = try session.inspectTransportKey(label: label, refused: refused)
        guard inspection.isSound, let checkValue = inspection.checkValue,
            let backupKey = try session.objects(labelled: label).first
        else {
            throw BackupError.backupKeyUnusable(
                hsm: hsm, label: label, reason: inspection.unsoundReason ?? "it vanished while being read")
        }
        return (
            backupKey, BackupKeyReference(label: label, isTransportKey: label == transportLabel, checkValue: checkValue)
        )
    }

    /// R7's method for a key, and the mechanism that carries it out on this token (RFC 5649 is 0x210B
    /// on NSS softoken, whose 0x210A is another algorithm); `nil` when the token has none.
    private static func wrap(_ objectClass: ObjectKind, _ keyType: KeyAlgorithm, _ capabilities: TokenCapabilities)
        -> (WrapMethod, Mechanism)?
    {
        let method =
            WrapMechanismRule.mechanism(for: objectClass, keyType: keyType) == .aesKeyWrap
            ? WrapMethod.aesKeyWrap : .aesKeyWrapWithPadding
        guard let name = capabilities.mechanism(for: method), let type = SpecNames.mechanismType(name) else {
            return nil
        }
        return (method, Mechanism(type))
    }

    /// The codes with which a token refuses to wrap one key (the key is listed as excluded).
    static let refusals: Set<ReturnCode> = [
        .keyNotWrappable, .keyUnextractable, .keyFunctionNotPermitted, .mechanismInvalid,
    ]
}
