import HSMSyncModel
import PKCS11

/// Step 6 of the replication protocol on the destination: a proven staged copy becomes a token object.
extension Session {
    /// Makes the verified staged object a token object and reads the token object back. A copyable
    /// and modifiable key is copied (`C_CopyObject(CKA_TOKEN=true)`: one token write); any other cannot be
    /// (SoftHSM2: `CKR_ACTION_PROHIBITED`, `CKR_ATTRIBUTE_READ_ONLY`), so the verified blob is unwrapped once more, straight to
    /// the token, with the same complete template.
    func promote(
        _ staged: ObjectHandle, template: KeyTemplate,
        unwrap: (blob: [UInt8], mechanism: Mechanism, template: [Attribute])?,
        transportKey: ObjectHandle?, refused: Set<AttributeName>, hsm: String
    ) throws(ReplicationError) {
        let promoted: ObjectHandle
        do {
            // SoftHSM2 refuses to copy a non-modifiable object (CKR_ATTRIBUTE_READ_ONLY: CKA_TOKEN
            // would change), and ceremonies make their keys non-modifiable.
            if template.flag(.copyable) && template.flag(.modifiable) {
                promoted = try copyObject(staged, template: [.bool(.token, true)])
            } else if let unwrap, let transportKey {
                promoted = try unwrapKey(
                    unwrap.blob, with: transportKey, mechanism: unwrap.mechanism, template: unwrap.template)
                try narrowForcedFlags(promoted, expected: template, refused: refused, hsm: hsm)
            } else {
                promoted = try createObject(try template.attributes(token: true, omitting: refused))
            }
        } catch let error as PKCS11Error {
            throw .hsmFailure(
                hsm: hsm, operation: "promoting \(template.identity) to a token object", error: "\(error)",
                outcomeUnknown: error.code.leavesOutcomeUnknown)
        } catch {
            throw error as? ReplicationError ?? .envelopeInvalid("\(error)")
        }
        do {
            try readBack(promoted, expected: template, refused: refused, hsm: hsm, stage: "promoted")
            let token = try attributes([.token], of: promoted).bool(.token)
            guard token == true else {
                throw ReplicationError.verificationFailed(hsm: hsm, reason: "the promoted copy is not a token object")
            }
        } catch {
            // hsmsync created this object a moment ago and it is wrong: remove it, report it.
            try? destroyObject(promoted)
            throw error as? ReplicationError ?? .verificationFailed(hsm: hsm, reason: "\(error)")
        }
    }
}
