public import HSMSyncModel
public import SecureMemory

/// What the in-memory endpoint does not model.
public enum InMemoryEndpointError: Error, CustomStringConvertible {
    case unsupported(String)

    public var description: String {
        switch self {
        case .unsupported(let what): return "the in-memory endpoint does not model \(what)"
        }
    }
}

// Transport-key ceremonies, backups and key administration run against real tokens only.
extension InMemoryEndpoint {
    public func inspectTransportKey(label: String) async throws -> TransportKeyInspection {
        throw InMemoryEndpointError.unsupported("transport-key inspection")
    }

    public func checkTransportKeyInstallable(label: String) async throws {
        throw InMemoryEndpointError.unsupported("transport-key installation")
    }

    public func randomBytes(count: Int) async throws -> SecretBytes {
        throw InMemoryEndpointError.unsupported("random generation")
    }

    public func installTransportKey(
        _ key: SecretBox, label: String, preference: TransportKeyImportPreference, expectedCheckValue: String
    ) async throws -> TransportKeyImport {
        throw InMemoryEndpointError.unsupported("transport-key installation")
    }

    public func agreementCurves(transportLabel label: String) async throws -> Set<AgreementCurve> { [] }

    public func makeEphemeralKey(curve: AgreementCurve, id: [UInt8]) async throws -> EphemeralAgreementKey {
        throw InMemoryEndpointError.unsupported("key agreement")
    }

    public func agreedKeyCheckValue(
        ephemeralID id: [UInt8], peer: EphemeralAgreementKey, peerName: String, curve: AgreementCurve,
        kdf: AgreementKDF, sharedData: [UInt8]
    ) async throws -> String {
        throw InMemoryEndpointError.unsupported("key agreement")
    }

    public func installAgreedKey(
        ephemeralID id: [UInt8], peer: EphemeralAgreementKey, peerName: String, curve: AgreementCurve,
        kdf: AgreementKDF, sharedData: [UInt8], label: String, expectedCheckValue: String
    ) async throws -> KeyRecord {
        throw InMemoryEndpointError.unsupported("key agreement")
    }

    public func destroyInstalledTransportKey(label: String) async -> String { "not modelled" }

    public func destroyEphemeralKey(id: [UInt8]) async {}

    public func collectBackup(
        transportLabel: String, backupKeyLabel: String, scope: KeyScope, infrastructure: InfrastructureLabels
    ) async throws -> BackupCollection {
        throw InMemoryEndpointError.unsupported("backups")
    }

    public func restore(_ key: BackupWrappedKey, backupKeyLabel: String) async -> BackupRestoreOutcome {
        BackupRestoreOutcome(
            key: key.template.identity, status: .failed, fingerprint: key.fingerprint, proof: [], detail: "not modelled"
        )
    }

    public func restore(_ object: BackupPublicObject) async -> BackupRestoreOutcome {
        BackupRestoreOutcome(
            key: object.template.identity, status: .failed, fingerprint: object.fingerprint, proof: [],
            detail: "not modelled")
    }

    public func logKey(label: String) async throws -> HSMPublicKey? { nil }

    public func sign(_ message: [UInt8], keyLabel label: String, mechanism: MechanismName) async throws -> [UInt8] {
        throw InMemoryEndpointError.unsupported("signing")
    }

    public func generateLogKey(label: String) async throws -> String {
        throw InMemoryEndpointError.unsupported("key generation")
    }

    public func dataObjectValues(label: String) async throws -> [[UInt8]] { [] }

    public func replaceDataObject(label: String, value: [UInt8]) async throws {
        throw InMemoryEndpointError.unsupported("data objects")
    }

    public func generateKey(_ spec: KeyGenerationSpec) async throws -> KeyRecord {
        throw InMemoryEndpointError.unsupported("key generation")
    }

    public func countObjects(classes: [ObjectKind], label: String, id: [UInt8]) async throws -> [Int] {
        throw InMemoryEndpointError.unsupported("ceremony key counts")
    }

    public func destroyOneEach(classes: [ObjectKind], label: String, id: [UInt8]) async throws -> [Int] {
        throw InMemoryEndpointError.unsupported("ceremony key destruction")
    }

    public func createStandInTransportKey(label: String, value: SecretBox) async throws {
        throw InMemoryEndpointError.unsupported("rehearsal stand-ins")
    }

    public func createStandIn(for record: KeyRecord, material: StandInMaterial?) async throws -> Bool {
        throw InMemoryEndpointError.unsupported("rehearsal stand-ins")
    }
}
