import HSMSyncCore
import HSMSyncModel
import SignedLog

/// Human output of `hsmsync backup restore`.
enum BackupRestoreRenderer {
    static func render(_ plan: BackupRestorePlan, applied: Bool, outcomes: [BackupRestoreOutcome]) {
        Console.out("restore into \(plan.hsm): backup key check value \(plan.backupKeyCheckValue) matches the bundle")
        if let source = plan.source {
            switch source.status {
            case .compared: Console.out("source \(source.hsm) compared live: every key checked against it")
            case .unreachable, .notInFleet:
                Console.out("source \(source.hsm) not compared (\(source.detail ?? source.status.rawValue))")
            }
        }
        let outcome = Dictionary(outcomes.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for item in plan.keys + plan.objects {
            let name = "\(item.key)\(item.keyType.map { " (\($0))" } ?? "")"
            switch item.action {
            case .present:
                Console.out("  present     \(name): \(item.detail ?? "")")
            case .conflict:
                Console.out("  CONFLICT    \(name): \(item.detail ?? ""); left untouched")
            case .refused:
                Console.out("  REFUSED     \(name): \(item.detail ?? ""); not restored")
            case .restore:
                guard applied else {
                    Console.out("  would restore \(name)")
                    continue
                }
                if let result = outcome[item.key], result.status == .restored {
                    Console.out("  restored    \(name): \(result.proof.joined(separator: "; "))")
                } else {
                    Console.out("  FAILED      \(name): \(outcome[item.key]?.detail ?? "not attempted")")
                }
            }
        }
        for exclusion in plan.notInBundle {
            Console.out("  not in bundle \(exclusion.identity): \(exclusion.reason)")
        }
        let restored = outcomes.filter { $0.status == .restored }.count
        let failed = outcomes.filter { $0.status == .failed }.count
        if !applied {
            Console.out(
                "\(plan.toRestore) to restore, \(plan.conflicts) conflict\(plan.conflicts == 1 ? "" : "s")"
                    + (plan.refused > 0 ? ", \(plan.refused) refused" : "") + "; nothing was "
                    + "changed (run again with --apply)")
        } else if plan.toRestore == 0 {
            Console.out("nothing to restore: every object of the bundle is already there (\(plan.conflicts) conflicts)")
        } else {
            Console.out(
                "\(restored) restored and proven, \(failed) failed, \(plan.conflicts) conflicts"
                    + (plan.refused > 0 ? ", \(plan.refused) refused" : ""))
        }
    }
}
