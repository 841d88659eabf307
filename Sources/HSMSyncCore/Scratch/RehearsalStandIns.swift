public import HSMSyncModel
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
    public static func seed(from fleet: Fleet, into scratch: [HSMConfiguration], connector: any HSMConnector) async
        -> [String]
    {
        let scans = await InventoryScanner(connector: connector).scan(fleet.hsms, of: fleet)
        var generator = SystemRandomNumberGenerator()
        let transportValue = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let backupValue = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let transportLabel = fleet.transport.label
        // A distinct backup key (`backup.key-label`) is infrastructure too: stood in for like the
        // transport key, one value shared by every scratch token, so backup steps rehearse.
        let backupLabel = fleet.backup.keyLabel.flatMap { $0 == transportLabel ? nil : $0 }
        var lines: [String] = []
        let connections = await connector.connect(scratch, readWrite: true)
        for scan in scans {
            let name = scan.configuration.name
            guard let inventory = scan.inventory else {
                lines.append(
                    "\(name): not readable (\(scan.error?.reason ?? "unreachable")); its scratch token is empty")
                continue
            }
            guard let worker = connections.first(where: { $0.configuration.name == name })?.endpoint else {
                lines.append("\(name): no scratch token")
                continue
            }
            let records = inventory.objects.filter {
                !$0.isOdd && !fleet.isInfrastructure(label: $0.label ?? "")
                    && fleet.keys.contains(label: $0.label ?? "")
                    && $0.objectClass.holdsSecretMaterial
            }
            let withTransport = inventory.transport.objects == 1
            let withBackupKey = backupLabel.map { label in inventory.objects.contains { $0.label == label } } ?? false
            do {
                if withTransport {
                    try await worker.createStandInTransportKey(
                        label: transportLabel, value: SecretBox(SecretBytes(copying: transportValue)))
                }
                if withBackupKey, let backupLabel {
                    try await worker.createStandInTransportKey(
                        label: backupLabel, value: SecretBox(SecretBytes(copying: backupValue)))
                }
                var made = 0
                for record in records where try await worker.createStandIn(for: record) { made += 1 }
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
        for connection in connections { await connection.endpoint?.close() }
        return lines
    }
}
