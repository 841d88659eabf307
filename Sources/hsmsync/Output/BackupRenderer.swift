import HSMSyncCore
import HSMSyncModel
import SignedLog

/// Human output of `hsmsync backup …`.
enum BackupRenderer {
    static func renderCreated(
        _ content: BackupContent, path: String, size: Int, signer: VerifierKey, digest: AuditDigest
    ) {
        let manifest = content.manifest
        let source = manifest.source
        Console.out("bundle \(path): \(size) bytes, \(digest)")
        Console.out(
            "  source        \(source.hsm) (token \"\(source.label)\", serial \(source.serial), \(source.model))")
        Console.out(
            "  backup key    \"\(manifest.backupKey.label)\"\(manifest.backupKey.isTransportKey ? " (the transport key)" : ""), check value \(manifest.backupKey.checkValue)"
        )
        Console.out("  signed by     \(signer)")
        Console.out(
            "  keys          \(content.keys.count) wrapped, \(content.objects.count) public objects kept as they are")
        renderContent(content)
        if !content.excluded.isEmpty {
            Console.error(
                "warning: \(content.excluded.count) in-scope object\(content.excluded.count == 1 ? " is" : "s are") "
                    + "not in the bundle (see above)")
        }
    }

    static func renderVerified(_ bundle: VerifiedBackup, path: String) {
        let manifest = bundle.content.manifest
        Console.out("bundle \(path): ok (format version 1, \(bundle.size) bytes, sha256:\(bundle.sha256))")
        Console.out("  fleet         \(manifest.fleet)")
        Console.out(
            "  source        \(manifest.source.hsm) (token \"\(manifest.source.label)\", serial \(manifest.source.serial), \(manifest.source.model))"
        )
        Console.out("  created       \(manifest.createdAt) by \(manifest.tool)")
        Console.out("  backup key    \"\(manifest.backupKey.label)\", check value \(manifest.backupKey.checkValue)")
        Console.out(
            "  signed by     \(bundle.signer)"
                + (bundle.pinned ? " (the trusted key)" : " (the key in the bundle: pass --vkey to prove who signed)"))
        renderContent(bundle.content)
    }

    static func renderContent(_ content: BackupContent) {
        for key in content.keys {
            let size = key.curve ?? key.bits.map { "\($0)-bit" } ?? "size unknown"
            Console.out(
                "  key           \(key.template.identity) \(key.template.keyType ?? "") \(size), \(key.mechanism), "
                    + "fingerprint \(key.fingerprint.digest.map { String($0.prefix(16)) } ?? "unavailable")")
        }
        for object in content.objects {
            Console.out(
                "  object        \(object.template.identity), fingerprint "
                    + "\(object.fingerprint.digest.map { String($0.prefix(16)) } ?? "unavailable")")
        }
        for exclusion in content.excluded {
            Console.out("  NOT INCLUDED  \(exclusion.identity): \(exclusion.reason)")
        }
    }
}
