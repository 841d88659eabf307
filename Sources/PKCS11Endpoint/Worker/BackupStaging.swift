import HSMSyncModel
import PKCS11
import SignedLog

/// Stage → verify → promote for one bundle object (SECURITY.md §5, R21): the key is unwrapped as a
/// *session* object with its complete template, read back and re-wrapped under the backup key (the
/// bytes must equal the bundle's, since key wrap is deterministic), promoted to the token, and the
/// token object read back. Promotion is `C_CopyObject(CKA_TOKEN=true)` for a copyable, modifiable
/// object; SoftHSM2 refuses to copy any other (`CKR_ATTRIBUTE_READ_ONLY`), so it is unwrapped (or
/// created) a second time, straight to the token, from the bytes just proven — as replication
/// does. A process that dies before the promotion leaves nothing: session objects vanish with it.
enum BackupStaging {
    /// Attributes compared on read-back: everything the template sets except the one staging changes.
    private static let stagingOverrides: Set<AttributeName> = [.token]

    /// Whether `template` may be promoted by `C_CopyObject`.
    private static func isCopyable(_ template: BackupTemplate) -> Bool {
        template.bool(.copyable) != false && template.bool(.modifiable) != false
    }

    /// - Parameter backupKey: the handle of the backup key on `worker`'s token, or why it was not found.
    static func restore(
        _ key: BackupWrappedKey, backupKey: Result<ObjectHandle, any Error>, on worker: isolated HSMWorker
    )
        async -> BackupRestoreOutcome
    {
        let identity = key.template.identity
        var outcome = BackupRestoreOutcome(
            key: identity, status: .failed, fingerprint: key.fingerprint, proof: [], detail: nil)
        guard let blob = Base64.decode(key.wrapped), let objectClass = key.template.objectClass else {
            outcome.detail = "the bundle's wrapped key cannot be decoded"
            return outcome
        }
        let unwrap: BackupUnwrap
        do {
            unwrap = try BackupUnwrap(key, capabilities: try worker.capabilities())
        } catch {
            outcome.detail = "\(error)"
            return outcome
        }
        let initial = outcome
        do {
            return try worker.withSession { session in
                var outcome = initial
                let backupKey = try backupKey.get()
                let staged: ObjectHandle
                do {
                    staged = try session.unwrapKey(
                        blob, with: backupKey, mechanism: unwrap.mechanism,
                        template: try unwrap.template(key, token: false, session: session))
                } catch {
                    outcome.detail = "C_UnwrapKey refused the staging copy (\(error)); nothing was created on the token"
                    return outcome
                }
                defer { try? session.destroyObject(staged) }
                try unwrap.narrow(staged, key.template, objectClass: objectClass, session: session)
                let stagedTemplate = try BackupTemplate.read(staged, objectClass: objectClass, session: session)
                let differences = Self.differences(
                    key.template, stagedTemplate, ignoring: stagingOverrides.union(unwrap.refused))
                guard differences.isEmpty else {
                    outcome.detail =
                        "the staged copy's attributes differ: \(differences.joined(separator: ", ")); not promoted"
                    return outcome
                }
                let rewrapped = try session.wrapKey(staged, with: backupKey, mechanism: unwrap.mechanism)
                if rewrapped == blob {
                    outcome.proof.append("re-wrap under the backup key equals the bundle's \(blob.count) bytes")
                } else if let pairing = try unwrap.provePairing(staged, key, session: session) {
                    outcome.proof.append(pairing)
                } else {
                    outcome.detail = "the staged copy wraps to other bytes than the bundle's; not promoted"
                    return outcome
                }
                let promoted: ObjectHandle
                if Self.isCopyable(key.template) {
                    promoted = try session.copyObject(staged, template: [.bool(.token, true)])
                } else {
                    promoted = try session.unwrapKey(
                        blob, with: backupKey, mechanism: unwrap.mechanism,
                        template: try unwrap.template(key, token: true, session: session))
                    try unwrap.narrow(promoted, key.template, objectClass: objectClass, session: session)
                }
                if let failure = Self.readBack(
                    promoted, expected: key.template, objectClass: objectClass, ignoring: unwrap.refused, in: session)
                {
                    outcome.detail = failure
                    return outcome
                }
                outcome.proof.append("token copy read back: every template attribute as in the bundle")
                outcome.status = .restored
                return outcome
            }
        } catch {
            outcome.detail = "\(error)"
            return outcome
        }
    }

    static func restore(_ object: BackupPublicObject, on worker: isolated HSMWorker) async -> BackupRestoreOutcome {
        let identity = object.template.identity
        var outcome = BackupRestoreOutcome(
            key: identity, status: .failed, fingerprint: object.fingerprint, proof: [], detail: nil)
        guard let objectClass = object.template.objectClass else {
            outcome.detail = "no CKA_CLASS"
            return outcome
        }
        // What the token refuses on token objects is left out (NSS softoken: CKA_COPYABLE, …).
        let refused = (try? worker.capabilities())?.refused ?? []
        let names = Set(BackupAttributeTable.entries.map(\.name)).subtracting(refused)
        let initial = outcome
        do {
            return try worker.withSession { session in
                var outcome = initial
                let staged = try session.createObject(
                    object.template.attributes(only: names, overrides: [.token: .bool(false)]))
                defer { try? session.destroyObject(staged) }
                let stagedTemplate = try BackupTemplate.read(staged, objectClass: objectClass, session: session)
                let fingerprint = BackupPublicObjects.fingerprint(of: stagedTemplate)
                guard fingerprint.digest == object.fingerprint.digest else {
                    outcome.detail = "the staged copy's fingerprint differs from the bundle's; not promoted"
                    return outcome
                }
                let promoted =
                    Self.isCopyable(object.template)
                    ? try session.copyObject(staged, template: [.bool(.token, true)])
                    : try session.createObject(object.template.attributes(only: names))
                if let failure = Self.readBack(
                    promoted, expected: object.template, objectClass: objectClass, ignoring: refused, in: session)
                {
                    outcome.detail = failure
                    return outcome
                }
                outcome.proof.append("fingerprint of the staged copy equals the bundle's; token copy read back")
                outcome.status = .restored
                return outcome
            }
        } catch {
            outcome.detail = "\(error)"
            return outcome
        }
    }

    /// Reads the promoted object back: it must be a token object with every attribute the bundle
    /// records. On any failure, reading included, it is destroyed again (this run's own object,
    /// seconds old) and the reason returned; `nil` when it is right.
    private static func readBack(
        _ promoted: ObjectHandle, expected: BackupTemplate, objectClass: ObjectKind,
        ignoring refused: Set<AttributeName> = [], in session: borrowing Session
    ) -> String? {
        let problem: String?
        do {
            let actual = try BackupTemplate.read(promoted, objectClass: objectClass, session: session)
            let differences = Self.differences(expected, actual, ignoring: refused)
            if actual.bool(.token) != true {
                problem = "the promoted copy is not a token object"
            } else if !differences.isEmpty {
                problem = "the token copy's attributes differ: \(differences.joined(separator: ", "))"
            } else {
                problem = nil
            }
        } catch {
            problem = "the token copy cannot be read back (\(error))"
        }
        guard let problem else { return nil }
        try? session.destroyObject(promoted)
        return problem + "; it was destroyed again (only this run's own object)"
    }

    /// Names of the attributes `expected` records that `actual` lacks or holds with another value.
    private static func differences(
        _ expected: BackupTemplate, _ actual: BackupTemplate, ignoring: Set<AttributeName>
    ) -> [String] {
        expected.values.keys.sorted().filter { name in
            !ignoring.contains(name) && expected[name] != actual[name]
        }.map(\.rawValue)
    }
}
