import Crypto
import Foundation
public import HSMSyncModel
public import PKCS11
import SignedLog

/// One scan of one token, with the object handles that belong to it. Handles are only valid in the
/// process and worker that scanned: ``HSMWorker`` keeps them and hands out records only.
public struct TokenScan: Sendable {
    public let objects: [KeyRecord]
    /// `handles[i]` is the handle of `objects[i]`; internal, so handles never leave HSMSyncCore.
    let handles: [ObjectHandle]
    public let transport: TransportKeyState
    /// The transport key's handle, when exactly one object carries the label.
    let transportHandle: ObjectHandle?
    public let vanished: Int
    public let phases: ScanPhases
}

extension Session {
    /// Takes the inventory of this session's token in one pass: one `C_FindObjects` enumeration,
    /// one `C_GetAttributeValue` per object, then the fingerprints that need the token (transport
    /// wrap or CMAC of secret keys, certificate values). Odd objects are listed, never fatal.
    ///
    /// - Parameters:
    ///   - transportLabel: the fleet's transport key label; the key is checked (R1/R2) and, when it
    ///     passes, used for transport-wrap fingerprints of extractable secret keys.
    ///   - scope: which objects get token-side fingerprints (the others are listed all the same).
    ///   - progress: called now and then with (objects read, objects found).
    public func scanInventory(
        transportLabel: String, scope: KeyScope, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws(PKCS11Error) -> TokenScan {
        var clock = ScanPhases.Clock()
        let handles = try findObjects()
        let findSeconds = clock.lap()
        var records: [(handle: ObjectHandle, record: KeyRecord)] = []
        records.reserveCapacity(handles.count)
        var vanished = 0
        for (index, handle) in handles.enumerated() {
            do {
                records.append((handle, try keyRecord(of: handle)))
            } catch  where error.code == .objectHandleInvalid {
                vanished += 1
            } catch  where !error.code.leavesOutcomeUnknown {
                // A torn object (a writer killed mid-write, SECURITY.md P14/T30) must not hide the
                // rest of the token: list it as odd, with whatever of its identity can still be read.
                records.append((handle, unreadableRecord(handle, error)))
            }
            if index % 256 == 255 {
                progress?(index + 1, handles.count)
            }
        }
        progress?(handles.count, handles.count)
        let attributeSeconds = clock.lap()

        let available = Set(try module.mechanisms(slot))
        let transport = transportState(records, label: transportLabel, mechanisms: available)
        let transportHandle = transport.state.isUsable ? transport.handle : nil

        // Public keys by CKA_ID, for private keys that carry no public point (EC on SoftHSM2).
        var publicByID: [String: [KeyRecord]] = [:]
        for (_, record) in records where record.objectClass == "public-key" {
            publicByID[record.id ?? "", default: []].append(record)
        }

        let zeroBlock = [UInt8](repeating: 0, count: 16)
        for index in records.indices {
            let (handle, record) = records[index]
            guard !record.isOdd, record.fingerprint.digest == nil, record.label != transportLabel,
                scope.contains(label: record.label ?? "")
            else { continue }
            switch record.objectClass {
            case "private-key":
                records[index].record = record.with(fingerprint: Self.pairedFingerprint(record, publicByID))
            case "secret-key":
                let fingerprint = secretKeyFingerprint(
                    handle, record, transport: transportHandle.map { ($0, transport.state.checkValue!) },
                    mechanisms: available, zeroBlock: zeroBlock)
                records[index].record = record.with(fingerprint: fingerprint)
            case "certificate":
                let value = try attributes([.value], of: handle).bytes(.value)
                let fingerprint: Fingerprint =
                    value.map { .available(method: .value, sha256: Array(SHA256.hash(data: $0)).hexString) }
                    ?? .unavailable(reason: "CKA_VALUE cannot be read")
                records[index].record = record.with(fingerprint: fingerprint)
            case "data":
                records[index].record = record.with(
                    fingerprint: .unavailable(reason: "data objects are not fingerprinted (they may hold secrets)"))
            default:
                break
            }
        }
        let phases = ScanPhases(find: findSeconds, attributes: attributeSeconds, fingerprints: clock.lap())
        return TokenScan(
            objects: records.map(\.record), handles: records.map(\.handle), transport: transport.state,
            transportHandle: transport.handle, vanished: vanished, phases: phases)
    }

    private func unreadableRecord(_ handle: ObjectHandle, _ error: PKCS11Error) -> KeyRecord {
        let identity = try? attributes([.class, .label, .id], of: handle)
        return KeyRecord(
            objectClass: SpecNames.objectKind(identity?.objectClass), keyType: nil, size: nil, curve: nil,
            label: identity?.string(.label), id: identity?.bytes(.id)?.hexString, usage: [],
            attributes: .init(), provenance: .init(), allowedMechanisms: nil,
            fingerprint: .unavailable(reason: "its attributes cannot be read"),
            oddities: ["\(KeyRecord.unreadableAttributes) (\(error)): a torn or damaged object"])
    }

    private func transportState(
        _ records: [(handle: ObjectHandle, record: KeyRecord)], label: String, mechanisms: Set<MechanismType>
    ) -> (state: TransportKeyState, handle: ObjectHandle?) {
        let candidates = records.filter { $0.record.label == label }
        guard candidates.count == 1, let candidate = candidates.first else {
            let reason =
                candidates.isEmpty ? "no transport key" : "\(candidates.count) objects carry the transport label"
            return (
                TransportKeyState(
                    label: label, objects: candidates.count, violations: [], checkValue: nil,
                    checkValueUnavailable: reason), nil
            )
        }
        let violations = TransportKeyPolicy.violations(candidate.record)
        var checkValue: String?
        var unavailable: String?
        if !violations.isEmpty {
            unavailable = "not computed: the key breaks the transport-key rules"
        } else if !mechanisms.contains(.aesKeyWrap) {
            unavailable = "the token does not offer CKM_AES_KEY_WRAP"
        } else {
            do {
                checkValue = try transportCheckValue(of: candidate.handle)
            } catch {
                unavailable = "\(error)"
            }
        }
        let state = TransportKeyState(
            label: label, objects: 1, violations: violations, checkValue: checkValue, checkValueUnavailable: unavailable
        )
        return (state, candidate.handle)
    }

    private static func pairedFingerprint(_ record: KeyRecord, _ publicByID: [String: [KeyRecord]]) -> Fingerprint {
        let partners = (publicByID[record.id ?? ""] ?? []).filter { $0.keyType == record.keyType }
        guard partners.count == 1, let partner = partners.first, case .available = partner.fingerprint else {
            let reason =
                partners.isEmpty
                ? "no public key object shares its CKA_ID, and the private key carries no public point"
                : partners.count > 1
                    ? "\(partners.count) public key objects share its CKA_ID"
                    : "its public key object has no fingerprint"
            return .unavailable(reason: reason)
        }
        return partner.fingerprint
    }

    /// DESIGN.md's order of preference for secret keys: transport-wrap digest, CMAC, encrypt a zero
    /// block; else unavailable with every reason.
    private func secretKeyFingerprint(
        _ handle: ObjectHandle, _ record: KeyRecord, transport: (handle: ObjectHandle, checkValue: String)?,
        mechanisms: Set<MechanismType>, zeroBlock: [UInt8]
    ) -> Fingerprint {
        var reasons: [String] = []
        if record.attributes.extractable != true {
            reasons.append("not extractable")
        } else if transport == nil {
            reasons.append("no usable transport key to wrap under")
        } else if !mechanisms.contains(.aesKeyWrap) {
            reasons.append("CKM_AES_KEY_WRAP not offered")
        } else if let transport {
            do {
                let blob = try wrapKey(handle, with: transport.handle, mechanism: .aesKeyWrap)
                return .available(
                    method: .transportWrap(transportCheckValue: transport.checkValue),
                    sha256: Array(SHA256.hash(data: blob)).hexString)
            } catch {
                reasons.append("transport wrap refused (\(error.code.name))")
            }
        }
        let isAES = record.keyType == "aes"
        if isAES, record.usage.contains("sign"), mechanisms.contains(.aesCMAC) {
            do {
                let mac = try sign(zeroBlock, with: handle, mechanism: .aesCMAC)
                return .available(method: .cmac, sha256: Array(SHA256.hash(data: mac)).hexString)
            } catch {
                reasons.append("CMAC refused (\(error.code.name))")
            }
        } else {
            reasons.append(
                !isAES
                    ? "not an AES key (no CMAC or ECB check value)"
                    : !record.usage.contains("sign") ? "no CKA_SIGN for a CMAC" : "CKM_AES_CMAC not offered")
        }
        if isAES, record.usage.contains("encrypt"), mechanisms.contains(.aesECB) {
            do {
                let block = try encrypt(zeroBlock, with: handle, mechanism: .aesECB)
                return .available(method: .encryptZeroBlock, sha256: Array(SHA256.hash(data: block)).hexString)
            } catch {
                reasons.append("ECB refused (\(error.code.name))")
            }
        } else if isAES {
            reasons.append(
                !record.usage.contains("encrypt") ? "no CKA_ENCRYPT for an ECB check value" : "CKM_AES_ECB not offered")
        }
        return .unavailable(reason: reasons.joined(separator: "; "))
    }
}
