import Crypto
import Foundation
public import HSMSyncModel
import SecureMemory

/// An ``HSMEndpoint`` on an ``InMemoryToken``: inventory and replication as the engine's audit and
/// reconcile use them, with real AES key wrap (RFC 3394) under an in-memory transport key, so
/// envelopes verify exactly as the PKCS#11 endpoint's do. Everything else throws
/// ``InMemoryEndpointError/unsupported(_:)``.
///
/// For unit tests of pure logic only: the evidence that a feature works against HSMs comes from
/// the PKCS#11 endpoint on real tokens.
public actor InMemoryEndpoint: HSMEndpoint {
    public nonisolated let configuration: HSMConfiguration
    let store: InMemoryToken
    let readWrite: Bool
    private var open = true
    private var transport: (label: String, value: [UInt8], checkValue: String)?
    private var scanned: [InMemoryObject] = []

    init(configuration: HSMConfiguration, token: InMemoryToken, readWrite: Bool) {
        self.configuration = configuration
        self.store = token
        self.readWrite = readWrite
    }

    public func token() async -> TokenDescription? { open ? store.description : nil }

    public func scan(transportLabel: String, scope: KeyScope, progress: (@Sendable (Int, Int) -> Void)?) async throws
        -> TokenScanResult
    {
        let objects = await store.objects
        scanned = objects
        let candidates = objects.filter { $0.label == transportLabel }
        var violations: [String] = []
        var checkValue: String?
        transport = nil
        if candidates.count == 1, let key = candidates.first {
            violations = TransportKeyPolicy.violations(key.record(fingerprint: .unavailable(reason: "transport key")))
            if violations.isEmpty {
                let value = try TransportCheckValue.compute(transportKey: SecretBytes(copying: key.value))
                transport = (transportLabel, key.value, value)
                checkValue = value
            }
        }
        let records = objects.map { object in
            object.label == transportLabel
                ? object.record(fingerprint: .unavailable(reason: "the transport key"))
                : object.record(fingerprint: fingerprint(of: object))
        }
        progress?(records.count, records.count)
        return TokenScanResult(
            objects: records,
            transport: TransportKeyState(
                label: transportLabel, objects: candidates.count, violations: violations, checkValue: checkValue,
                checkValueUnavailable: checkValue == nil ? "no usable transport key" : nil),
            vanished: 0, phases: ScanPhases(find: 0, attributes: 0, fingerprints: 0))
    }

    private func fingerprint(of object: InMemoryObject) -> Fingerprint {
        guard object.flags[.extractable] == true else { return .unavailable(reason: "not extractable") }
        guard object.flags[.wrapWithTrusted] != true else {
            return .unavailable(reason: "transport wrap refused (CKR_KEY_NOT_WRAPPABLE)")
        }
        guard let transport, let blob = try? object.wrapped(under: transport.value) else {
            return .unavailable(reason: "no usable transport key to wrap under")
        }
        return .available(
            method: .transportWrap(transportCheckValue: transport.checkValue),
            sha256: Array(SHA256.hash(data: blob)).hexString)
    }

    public func scannedTransportCheckValue() async -> String? { transport?.checkValue }

    public func countObjects(label: String, objectClass: ObjectKind?) async throws -> Int {
        await store.objects.filter { $0.label == label && (objectClass == nil || objectClass == .secretKey) }.count
    }

    public func mechanisms() async throws -> Set<MechanismName> { [.aesKeyWrap, .aesKeyWrapPad] }

    public func probeMechanisms() async throws -> [MechanismSupport] { [] }

    public func capabilities() async throws -> TokenCapabilities { await store.capabilities }

    public func close() async { open = false }

    // MARK: Replication

    public func seal(
        _ identity: KeyIdentity, publicKey: KeyIdentity?, fingerprint: Fingerprint, transportCheckValue: String,
        opID: String, requireWrapWithTrusted: Bool, method: WrapMethod?
    ) async throws(ReplicationError) -> KeyEnvelope {
        let object = try scannedObject(identity)
        guard let transport else {
            throw .transportKeyRefused(hsm: configuration.name, problems: ["no usable transport key"])
        }
        guard object.flags[.extractable] == true else {
            throw .unsupportedKey(identity.description, reason: "not extractable")
        }
        // The in-memory transport key is never CKA_TRUSTED: a token refuses such a wrap.
        if object.flags[.wrapWithTrusted] == true {
            throw .hsmFailure(
                hsm: configuration.name, operation: "wrapping \(identity) (C_WrapKey)",
                error: "CKR_KEY_NOT_WRAPPABLE", outcomeUnknown: false)
        }
        if requireWrapWithTrusted && object.flags[.wrapWithTrusted] != true {
            throw .refusedByPolicy("\(identity) lacks CKA_WRAP_WITH_TRUSTED (policy requireWrapWithTrusted)")
        }
        let blob: [UInt8]
        do { blob = try object.wrapped(under: transport.value) } catch {
            throw .hsmFailure(hsm: configuration.name, operation: "wrapping", error: "\(error)", outcomeUnknown: false)
        }
        return KeyEnvelope(
            opID: opID,
            source: .init(
                hsm: configuration.name, tokenSerial: store.description.serialNumber,
                tokenLabel: store.description.label),
            key: object.template, publicKey: nil, fingerprint: fingerprint, transportCheckValue: transportCheckValue,
            mechanism: WrapMechanismRule.mechanism(for: .secretKey, keyType: .aes), wrappedKey: blob)
    }

    public func install(_ envelope: KeyEnvelope, presentPublicKey: Bool) async throws(ReplicationError)
        -> InstalledKey
    {
        guard readWrite else {
            throw .hsmFailure(
                hsm: configuration.name, operation: "installing", error: "read-only session", outcomeUnknown: false)
        }
        guard let transport else {
            throw .transportKeyRefused(hsm: configuration.name, problems: ["no usable transport key"])
        }
        if await store.objects.contains(where: { $0.identity == envelope.key.identity }) {
            throw .conflict(hsm: configuration.name, reason: "\(envelope.key.identity) already exists")
        }
        let value: [UInt8]
        do {
            value = Array(
                try AES.KeyWrap.unwrap(envelope.wrappedKeyBytes, using: SymmetricKey(data: transport.value))
                    .withUnsafeBytes { Data($0) })
        } catch {
            throw .unwrapIntegrityFailure(hsm: configuration.name, code: "CKR_WRAPPED_KEY_INVALID")
        }
        let copy = InMemoryObject(
            label: envelope.key.label, id: envelope.key.id, flags: envelope.key.flags, value: value)
        guard (try? copy.wrapped(under: transport.value)) == envelope.wrappedKeyBytes else {
            throw .verificationFailed(hsm: configuration.name, reason: "the re-wrapped copy differs")
        }
        await store.add(copy)
        return InstalledKey(promoted: [copy.identity], proofs: ["rewrap"])
    }

    public func keyTemplate(of identity: KeyIdentity) async throws(ReplicationError) -> KeyTemplate {
        try scannedObject(identity).template
    }

    public func installPublicKey(_ template: KeyTemplate, fingerprint: Fingerprint) async throws(ReplicationError)
        -> InstalledKey
    {
        throw .unsupportedKey(template.identity.description, reason: "the in-memory token holds AES keys only")
    }

    public func destroy(_ identity: KeyIdentity) async throws {
        guard readWrite else { throw InMemoryEndpointError.unsupported("destroying in a read-only session") }
        await store.remove(identity)
    }

    public func destroyUnreadable(_ identity: KeyIdentity) async -> Int { 0 }

    private func scannedObject(_ identity: KeyIdentity) throws(ReplicationError) -> InMemoryObject {
        let matches = scanned.filter { $0.identity == identity }
        guard matches.count == 1, let object = matches.first else {
            throw .hsmFailure(
                hsm: configuration.name, operation: "finding \(identity)", error: "\(matches.count) objects",
                outcomeUnknown: false)
        }
        return object
    }
}
