public import HSMSyncModel
import SecureMemory
import SignedLog

/// Stand-ins on a rehearsal's scratch tokens for what the real HSMs hold, so a ceremony that works
/// on existing keys (replicate them, back them up, destroy an old transport key) rehearses end to
/// end: for each real in-scope key, a key of the same class, type, size or curve, label, `CKA_ID`,
/// usage and extractability, with fresh material — never the real material.
///
/// The stand-ins keep the real fleet's relations: where the real HSMs hold the same key (equal
/// fingerprints, or material that could not be compared), their scratch tokens hold one stand-in
/// material; where the real copies differ, so do the stand-ins. Likewise one stand-in transport key
/// per distinct real transport check value. So a fleet in parity rehearses in parity, and a real
/// conflict shows in the rehearsal as it would in the real run.
///
/// The real HSMs are only read (read-only sessions, one scan each); one that cannot be reached
/// leaves its scratch token empty, said in the returned lines.
public enum RehearsalStandIns {
    /// Seeds `scratch` from `fleet`'s HSMs; returns one human line per HSM, and one on shared material.
    public static func seed(from fleet: Fleet, into scratch: [HSMConfiguration], connector: any HSMConnector) async
        -> [String]
    {
        let scans = await InventoryScanner(connector: connector).scan(fleet.hsms, of: fleet)
        let transportLabel = fleet.transport.label
        // A distinct backup key (`backup.key-label`) is infrastructure too: stood in for like the
        // transport key, one value shared by every scratch token, so backup steps rehearse.
        let backupLabel = fleet.backup.keyLabel.flatMap { $0 == transportLabel ? nil : $0 }
        let backupValue = SecretBox(StandInMaterial.random(32))
        let plan = StandInPlan(fleet: fleet, scans: scans)
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
            let withBackupKey = backupLabel.map { label in inventory.objects.contains { $0.label == label } } ?? false
            do {
                if let value = plan.transportValue(for: inventory) {
                    try await worker.createStandInTransportKey(label: transportLabel, value: value)
                }
                if withBackupKey, let backupLabel {
                    try await worker.createStandInTransportKey(label: backupLabel, value: backupValue)
                }
                let stands = plan.standIns[name] ?? []
                var made = 0
                for stand in stands where try await worker.createStandIn(for: stand.record, material: stand.material) {
                    made += 1
                }
                let skipped = stands.count - made
                lines.append(
                    "\(name): \(made) stand-in key(s) with fresh material"
                        + (inventory.transport.objects == 1 ? ", a stand-in transport key" : "")
                        + (withBackupKey ? ", a stand-in backup key" : "")
                        + (skipped > 0 ? "; \(skipped) key(s) of a type rehearsals cannot stand in for" : ""))
            } catch {
                lines.append("\(name): stand-ins could not be made (\(error)); its scratch token may be incomplete")
            }
        }
        for connection in connections { await connection.endpoint?.close() }
        return lines + plan.summary
    }
}
