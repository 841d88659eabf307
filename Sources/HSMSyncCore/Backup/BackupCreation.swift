import Crypto
public import Foundation
public import HSMSyncModel
import PKCS11
public import SignedLog

/// Reads one HSM's in-scope objects into a bundle's content: secret and private keys wrapped under
/// the fleet's backup key, public keys and certificates as they are, and every in-scope key that
/// cannot be included with the reason. Nothing on the HSM is changed: wrapping creates nothing.
public struct BackupCreation: Sendable {
    public let fleet: Fleet

    public init(fleet: Fleet) {
        self.fleet = fleet
    }

    /// Reads the worker's token.
    ///
    /// - Throws: ``BackupError/backupKeyUnusable(hsm:label:reason:)`` when the backup key is
    ///   missing, ambiguous or breaks the KEK rules (nothing is wrapped then); PKCS#11 errors.
    public func read(from worker: HSMWorker, now: Date = Date()) async throws -> BackupContent {
        guard let token = await worker.token else { throw HSMError(hsm: worker.name, .notOpen) }
        let fleet = fleet
        let hsm = worker.configuration
        let (keyReference, keys, objects, excluded) = try await worker.withSession { session in
            try Self.collect(session: session, fleet: fleet, hsm: hsm.name)
        }
        let manifest = BackupManifest(
            fleet: fleet.name,
            source: BackupSourceToken(
                hsm: hsm.name, role: hsm.role.rawValue, label: token.label, serial: token.serialNumber,
                model: token.model, manufacturer: token.manufacturer),
            createdAt: BackupTime.format(now), backupKey: keyReference,
            scope: BackupScope(include: fleet.keys.include, exclude: fleet.keys.exclude),
            counts: BackupCounts(keys: keys.count, objects: objects.count, excluded: excluded.count),
            tool: "hsmsync \(HSMSyncVersion.current)")
        return BackupContent(manifest: manifest, keys: keys, objects: objects, excluded: excluded)
    }

    /// The codes with which a token refuses to wrap one key (the key is listed as excluded).
    private static let refusals: Set<ReturnCode> = [
        .keyNotWrappable, .keyUnextractable, .keyFunctionNotPermitted, .mechanismInvalid,
    ]

    /// Reads the worker's token, signs the bundle with `signer` and creates `path` (never
    /// overwriting it): `backup create` and a ceremony's `backup-create` step.
    ///
    /// - Returns: what the bundle holds, and its bytes (for the digest the log records).
    public func create(from worker: HSMWorker, signer: any AuditSigner, at path: String) async throws
        -> (content: BackupContent, bytes: [UInt8])
    {
        let content = try await read(from: worker)
        let bytes = try await BackupCodec.encode(content, signer: signer)
        try BackupCodec.write(bytes, to: path)
        return (content, bytes)
    }

    /// Everything on the worker's thread, in one pass over one scan.
    private static func collect(session: borrowing Session, fleet: Fleet, hsm: String) throws
        -> (BackupKeyReference, [BackupWrappedKey], [BackupPublicObject], [BackupExclusion])
    {
        let label = fleet.backupKeyLabel
        let inspection = try session.inspectTransportKey(label: label)
        guard inspection.isSound, let checkValue = inspection.checkValue,
            let backupKey = try session.objects(labelled: label).first
        else {
            throw BackupError.backupKeyUnusable(
                hsm: hsm, label: label, reason: inspection.unsoundReason ?? "it vanished while being read")
        }
        let reference = BackupKeyReference(
            label: label, isTransportKey: label == fleet.transport.label, checkValue: checkValue)

        let scan = try session.scanInventory(transportLabel: fleet.transport.label, scope: fleet.keys)
        var counts: [KeyIdentity: Int] = [:]
        for record in scan.objects { counts[record.identity, default: 0] += 1 }

        var keys: [BackupWrappedKey] = []
        var objects: [BackupPublicObject] = []
        var excluded: [BackupExclusion] = []
        for (record, handle) in zip(scan.objects, scan.handles) {
            guard let objectLabel = record.label, !fleet.isInfrastructure(label: objectLabel),
                fleet.keys.contains(label: objectLabel)
            else { continue }
            func exclude(_ reason: String) {
                excluded.append(BackupExclusion(identity: record.identity, keyType: record.keyType, reason: reason))
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
                let mechanism: Mechanism =
                    record.objectClass == "secret-key" && keyType == "aes" ? .aesKeyWrap : .aesKeyWrapPad
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
                        : record.keyType == "ec-edwards" ? " (SoftHSM2 2.6.1 cannot wrap EdDSA keys)" : ""
                    exclude("the token refused to wrap it: \(error)\(hint)")
                    continue
                }
                let template = try BackupTemplate.read(handle, objectClass: record.objectClass, session: session)
                keys.append(
                    BackupWrappedKey(
                        template: template, bits: record.size, curve: record.curve, fingerprint: record.fingerprint,
                        provenance: record.provenance, mechanism: SpecNames.mechanismName(mechanism.type),
                        wrapped: Base64.encode(blob), wrappedLength: blob.count,
                        wrappedSHA256: Array(SHA256.hash(data: blob)).hexString))
            case "public-key", "certificate":
                let template = try BackupTemplate.read(handle, objectClass: record.objectClass, session: session)
                objects.append(BackupPublicObject(template: template, fingerprint: record.fingerprint))
            default:
                exclude("\(record.objectClass) objects are not backed up (data objects may hold secrets in clear)")
            }
        }
        return (reference, keys, objects, excluded)
    }
}

/// Times as bundles write them.
enum BackupTime {
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
