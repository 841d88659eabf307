public import HSMSyncModel
import PKCS11

/// The replication steps of ``ReplicationEndpoint`` on a local PKCS#11 token: the transport key's
/// attributes are read back before every wrap and unwrap (``TransportKeyGate``).
extension HSMWorker {
    public func seal(
        _ identity: KeyIdentity, publicKey: KeyIdentity?, fingerprint: Fingerprint, transportCheckValue: String,
        opID: String, requireWrapWithTrusted: Bool, method: WrapMethod?
    ) async throws(ReplicationError) -> KeyEnvelope {
        let hsm = name
        let capabilities = try replicationCapabilities()
        guard let token = tokenInfo else {
            throw .hsmFailure(hsm: hsm, operation: "wrapping \(identity)", error: "not open", outcomeUnknown: false)
        }
        let source = KeyEnvelope.Source(hsm: hsm, tokenSerial: token.serialNumber, tokenLabel: token.label)
        let refused = capabilities.refused
        let identities = [identity] + (publicKey.map { [$0] } ?? [])
        return try Self.run(hsm: hsm, "wrapping \(identity)") {
            try withObjects(identities) { session, handles, transport throws(ReplicationError) in
                guard let transport else {
                    throw .transportKeyRefused(hsm: hsm, problems: ["is missing (or ambiguous)"])
                }
                try TransportKeyGate.check(session, transportKey: transport, hsm: hsm)
                let template = try Self.template(session, handles[0], refused: refused, hsm: hsm)
                guard template.flag(.extractable) else {
                    throw .unsupportedKey(identity.description, reason: "CKA_EXTRACTABLE is false (unsyncable)")
                }
                if requireWrapWithTrusted && !template.flag(.wrapWithTrusted) {
                    throw .refusedByPolicy("\(identity) lacks CKA_WRAP_WITH_TRUSTED (policy requireWrapWithTrusted)")
                }
                let publicTemplate =
                    handles.count > 1 ? try Self.template(session, handles[1], refused: refused, hsm: hsm) : nil
                let chosen = method ?? WrapMethod.preference(for: template.objectClass, keyType: template.keyType)[0]
                guard let name = capabilities.mechanism(for: chosen), let mechanism = SpecNames.mechanismType(name)
                else {
                    throw .unsupportedKey(identity.description, reason: "\(hsm) cannot wrap with \(chosen.rawValue)")
                }
                let blob = try session.wrapForReplication(
                    handles[0], template: template, transportKey: transport, hsm: hsm, mechanism: mechanism)
                return KeyEnvelope(
                    opID: opID, source: source, key: template, publicKey: publicTemplate, fingerprint: fingerprint,
                    transportCheckValue: transportCheckValue, mechanism: chosen.envelopeMechanism, wrappedKey: blob)
            }
        }
    }

    public func install(_ envelope: KeyEnvelope, presentPublicKey: Bool) async throws(ReplicationError)
        -> InstalledKey
    {
        let hsm = name
        let scannedValue = transportCheckValueFromScan
        let profile = try UnwrapProfile(
            envelopeMechanism: envelope.mechanism, capabilities: try replicationCapabilities(), hsm: hsm,
            key: envelope.key.identity.description)
        return try Self.run(hsm: hsm, "installing \(envelope.key.identity)") {
            try withTransportKey { session, transport throws(ReplicationError) in
                try TransportKeyGate.check(session, transportKey: transport, hsm: hsm)
                // A key that passes the gate but had no check value in the scan is never unwrapped under.
                guard scannedValue != nil else {
                    throw .transportKeyRefused(hsm: hsm, problems: ["had no check value in the last scan"])
                }
                return try session.installVerifiedEnvelope(
                    envelope, transportKey: transport, hsm: hsm, presentPublicKey: presentPublicKey, profile: profile)
            }
        }
    }

    public func keyTemplate(of identity: KeyIdentity) async throws(ReplicationError) -> KeyTemplate {
        let hsm = name
        let refused = try replicationCapabilities().refused
        return try Self.run(hsm: hsm, "reading \(identity)") {
            try withObjects([identity]) { session, handles, _ throws(ReplicationError) in
                try Self.template(session, handles[0], refused: refused, hsm: hsm)
            }
        }
    }

    public func installPublicKey(_ template: KeyTemplate, fingerprint: Fingerprint) async throws(ReplicationError)
        -> InstalledKey
    {
        let hsm = name
        let refused = try replicationCapabilities().refused
        return try Self.run(hsm: hsm, "creating \(template.identity)") {
            try withSession { session throws(ReplicationError) in
                try session.installPublicKey(template, fingerprint: fingerprint, hsm: hsm, refused: refused)
            }
        }
    }

    public func destroy(_ identity: KeyIdentity) throws {
        try Self.device { try withObjects([identity]) { session, handles, _ in try session.destroyObject(handles[0]) } }
    }

    public func destroyUnreadable(_ identity: KeyIdentity) -> Int {
        (try? withEveryObject(identity) { session, handles in
            var count = 0
            // Read again under the token lock: only what is still unreadable goes.
            for handle in handles where (try? session.keyRecord(of: handle)).map(\.isIncomplete) ?? true {
                if (try? session.destroyObject(handle)) != nil { count += 1 }
            }
            return count
        }) ?? 0
    }

    /// The token's capabilities for replication (probed once per worker), as a ``ReplicationError``.
    private func replicationCapabilities() throws(ReplicationError) -> TokenCapabilities {
        do {
            return try capabilities()
        } catch {
            throw .hsmFailure(
                hsm: name, operation: "probing the token's capabilities", error: "\(error)", outcomeUnknown: false)
        }
    }

    private static func template(
        _ session: borrowing Session, _ handle: ObjectHandle, refused: Set<AttributeName> = [], hsm: String
    ) throws(ReplicationError) -> KeyTemplate {
        do {
            return try session.keyTemplate(of: handle, refused: refused)
        } catch let error as ReplicationError {
            throw error
        } catch {
            throw .hsmFailure(
                hsm: hsm, operation: "reading a key's attributes", error: "\(error)", outcomeUnknown: false)
        }
    }

    /// Runs session work, turning untyped errors into ``ReplicationError``.
    private static func run<T: Sendable>(hsm: String, _ operation: String, _ body: () throws -> T)
        throws(ReplicationError) -> T
    {
        do {
            return try body()
        } catch let error as ReplicationError {
            throw error
        } catch let error as PKCS11Error {
            throw .hsmFailure(
                hsm: hsm, operation: operation, error: "\(error)", outcomeUnknown: error.code.leavesOutcomeUnknown)
        } catch {
            throw .hsmFailure(hsm: hsm, operation: operation, error: "\(error)", outcomeUnknown: false)
        }
    }
}
