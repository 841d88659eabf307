public import HSMSyncModel
import PKCS11
import SecureMemory
import SignedLog

/// Stand-ins on a rehearsal's scratch tokens for what the real HSMs hold, so a ceremony that works
/// on existing keys (replicate them, back them up, destroy an old transport key) rehearses end to
/// end: for each real in-scope key, a key of the same class, type, size or curve, label and
/// `CKA_ID`, with the real key's extractability, generated afresh in the scratch token — never the
/// real material — and, where the real HSM holds the fleet's transport key, one stand-in transport
/// key shared by every scratch token that mirrors one.
///
/// The real HSMs are only read (read-only sessions, one scan each); one that cannot be reached
/// leaves its scratch token empty, said in the returned lines.
public enum RehearsalStandIns {
    /// Seeds `scratch` from `fleet`'s HSMs; returns one human line per HSM.
    public static func seed(from fleet: Fleet, into scratch: ScratchHSMs, connector: FleetConnector) async -> [String] {
        let scans = await InventoryScanner(connector: connector).scan(fleet.hsms, of: fleet)
        var generator = SystemRandomNumberGenerator()
        let transportValue = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let backupValue = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let transportLabel = fleet.transport.label
        // A distinct backup key (`backup.key-label`) is infrastructure too: stood in for like the
        // transport key, one value shared by every scratch token, so backup steps rehearse.
        let backupLabel = fleet.backup.keyLabel.flatMap { $0 == transportLabel ? nil : $0 }
        var lines: [String] = []
        let connections = await connector.connect(scratch.hsms, readWrite: true)
        for scan in scans {
            let name = scan.configuration.name
            guard let inventory = scan.inventory else {
                lines.append(
                    "\(name): not readable (\(scan.error?.reason ?? "unreachable")); its scratch token is empty")
                continue
            }
            guard let worker = connections.first(where: { $0.configuration.name == name })?.worker else {
                lines.append("\(name): no scratch token")
                continue
            }
            let records = inventory.objects.filter {
                !$0.isOdd && !fleet.isInfrastructure(label: $0.label ?? "")
                    && fleet.keys.contains(label: $0.label ?? "")
                    && ($0.objectClass == "secret-key" || $0.objectClass == "private-key")
            }
            let withTransport = inventory.transport.objects == 1
            let withBackupKey = backupLabel.map { label in inventory.objects.contains { $0.label == label } } ?? false
            do {
                let made = try await worker.withSession { session in
                    if withTransport {
                        _ = try session.createObject(
                            TransportKeyTemplate.attributes(label: transportLabel),
                            secretValue: SecretBytes(copying: transportValue))
                    }
                    if withBackupKey, let backupLabel {
                        _ = try session.createObject(
                            TransportKeyTemplate.attributes(label: backupLabel),
                            secretValue: SecretBytes(copying: backupValue))
                    }
                    var made = 0
                    for record in records where try standIn(for: record, in: session) { made += 1 }
                    return made
                }
                let skipped = records.count - made
                lines.append(
                    "\(name): \(made) stand-in key(s) with fresh material"
                        + (withTransport ? ", a stand-in transport key" : "")
                        + (withBackupKey ? ", a stand-in backup key" : "")
                        + (skipped > 0 ? "; \(skipped) key(s) of a type rehearsals cannot stand in for" : ""))
            } catch {
                lines.append("\(name): stand-ins could not be made (\(error)); its scratch token may be incomplete")
            }
        }
        for connection in connections { await connection.worker?.close() }
        return lines
    }

    /// Generates one stand-in (for a private key: the key pair); `false` for a type it cannot make.
    private static func standIn(for record: KeyRecord, in session: borrowing Session) throws -> Bool {
        let identity: [Attribute] =
            [.bool(.token, true), .label(record.label ?? "")]
            + (record.id.flatMap { Hex.decode($0) }.map { [.id($0)] } ?? [])
        let extractable = record.attributes.extractable ?? false
        // Every usage flag the class defines, as the real key has it: SoftHSM2's defaults allow
        // everything, and a stand-in with more usages than its real key is refused by the policy the
        // rehearsal exists to exercise.
        let usages: [(AttributeType, String)] =
            record.objectClass == "secret-key"
            ? [
                (.encrypt, "encrypt"), (.decrypt, "decrypt"), (.sign, "sign"), (.verify, "verify"), (.wrap, "wrap"),
                (.unwrap, "unwrap"), (.derive, "derive"),
            ]
            : [
                (.decrypt, "decrypt"), (.sign, "sign"), (.signRecover, "sign-recover"), (.unwrap, "unwrap"),
                (.derive, "derive"),
            ]
        let privatePart: [Attribute] =
            identity + [
                .bool(.private, true), .bool(.sensitive, true), .bool(.extractable, extractable),
                .bool(.wrapWithTrusted, record.attributes.wrapWithTrusted ?? false),
            ] + usages.map { .bool($0.0, record.usage.contains($0.1)) }
        let publicPart: [Attribute] = [
            .bool(.verify, true), .bool(.encrypt, false), .bool(.wrap, false), .bool(.verifyRecover, false),
            .bool(.derive, false),
        ]
        switch (record.objectClass, record.keyType) {
        case ("secret-key", "aes"):
            _ = try session.generateKey(
                .aesKeyGen,
                template: privatePart + [
                    .class(.secretKey), .keyType(.aes), .ulong(.valueLength, UInt((record.size ?? 256) / 8)),
                ])
        case ("private-key", "ec"):
            guard let curve = NamedCurve.all.first(where: { $0.name == record.curve && !$0.isEdwards }) else {
                return false
            }
            _ = try session.generateKeyPair(
                .ecKeyPairGen, publicKeyTemplate: identity + [.bytes(.ecParams, curve.oidDER)] + publicPart,
                privateKeyTemplate: privatePart)
        case ("private-key", "rsa"):
            _ = try session.generateKeyPair(
                .rsaKeyPairGen,
                publicKeyTemplate: identity + [
                    .ulong(.modulusBits, UInt(record.size ?? 2048)), .bytes(.publicExponent, [1, 0, 1]),
                ] + publicPart,
                privateKeyTemplate: privatePart)
        default:
            return false
        }
        return true
    }
}
