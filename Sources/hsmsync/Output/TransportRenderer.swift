import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// The human form of the transport commands' results (public values only: check values, names,
/// mechanisms; never a key or a share).
enum TransportRenderer {
    static func renderCreated(
        _ result: TransportKeyInstallResult, generated: TransportKeyGenerationSummary, files: [String]
    ) {
        Console.out(
            "Transport key created on HSM \(result.hsm.hsm) (token \"\(result.hsm.tokenLabel)\", serial "
                + "\(result.hsm.tokenSerial)) under label \"\(result.label)\"")
        let set = generated.shareSet
        row(
            "shares",
            "\(set.threshold) of \(set.count ?? 0) needed to rebuild the key (SLIP-0039 set \(set.identifier)); "
                + "randomness from the HSM (C_GenerateRandom)")
        if files.isEmpty {
            row("", "shown on the terminal, one custodian at a time")
        }
        for (index, file) in files.enumerated() {
            row("", "custodian \(index + 1): \(file) (mode 0600)")
        }
        renderKey(result)
        Console.out()
        Console.out("Record the key check value and the check value in the ceremony record.")
        renderWarnings(result.warnings)
    }

    static func renderInstalled(_ result: TransportKeyInstallResult) {
        Console.out(
            "Transport key installed on HSM \(result.hsm.hsm) (token \"\(result.hsm.tokenLabel)\", serial "
                + "\(result.hsm.tokenSerial)) under label \"\(result.label)\"")
        let set = result.shareSet
        row(
            "shares",
            "\(set.sharesEntered ?? 0) entered of SLIP-0039 set \(set.identifier), \(set.threshold) needed"
                + ((set.sharesEntered ?? 0) > set.threshold ? "; all cross-checked" : ""))
        renderKey(result)
        Console.out()
        Console.out("Compare the key check value and the check value with the ceremony record.")
        renderWarnings(result.warnings)
    }

    private static func renderKey(_ result: TransportKeyInstallResult) {
        row(
            "key check value",
            "\(result.kcv) (\(result.kcvWords.joined(separator: " "))): AES-CMAC KCV, what the share notes and the "
                + "ceremony record carry")
        row(
            "check value", "\(result.checkValue): transport check value, computed in the HSM and equal to the host's")
        row("import", result.importMethod.description)
        if let fingerprint = result.importKeyFingerprint {
            row("", "import key SPKI SHA-256 \(fingerprint)")
        }
        row("attributes", TransportKeyPolicy.summary + "; read back and verified")
    }

    static func renderAgreed(_ result: TransportAgreementResult) {
        Console.out(
            "Transport key agreed between HSM \(result.from.hsm) (serial \(result.from.tokenSerial)) and HSM "
                + "\(result.to.hsm) (serial \(result.to.tokenSerial)) under label \"\(result.label)\"")
        row("agreement", "ECDH (CKM_ECDH1_DERIVE) on \(result.curve); ephemeral keys were session objects, DERIVE only")
        row("", "peer points validated on the host (curve, on the curve, not infinity) before each derivation")
        row(
            "KDF",
            result.isSP800_56C
                ? "\(result.kdf) with the transcript (fleet, label, curve, serials, points) as shared data"
                : "\(result.kdf): not an SP 800-56C key derivation (the tokens offer no CKD_SHA256_KDF)")
        row("confirmation", "both HSMs computed check value \(result.checkValue) before the key was installed")
        row("check value", "\(result.checkValue): transport check value, equal on both HSMs")
        row("ephemeral", "\(result.from.hsm) point SHA-256 \(result.fromEphemeralPoint)")
        row("", "\(result.to.hsm) point SHA-256 \(result.toEphemeralPoint)")
        row("attributes", TransportKeyPolicy.summary + "; read back and verified on both")
        Console.out()
        Console.out("Record the check value in the ceremony record. No custodian shares exist for this key.")
        renderWarnings(result.warnings)
    }

    static func renderVerification(_ report: TransportVerifyReport) {
        let verdict = report.status == "ok" ? "ok" : report.status == "mismatch" ? "MISMATCH" : "ERROR"
        Console.out("Transport key \"\(report.label)\" of fleet \(report.fleet): \(verdict)")
        if let value = report.checkValue {
            Console.out("  check value \(value)")
        }
        Console.out()
        let width = max(report.hsms.map(\.name.count).max() ?? 0, 4)
        for hsm in report.hsms {
            let name = hsm.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let state: String
            if let error = hsm.error {
                state = (hsm.reachable ? "FAILED: " : "UNREACHABLE: ") + error
            } else if hsm.objects == 0 {
                state = "MISSING"
            } else if let objects = hsm.objects, objects > 1 {
                state = "AMBIGUOUS (\(objects) objects)"
            } else {
                let value = hsm.checkValue ?? "no check value"
                let odd = hsm.matches == false ? "  DIFFERS" : ""
                let violations = hsm.violations.isEmpty ? "" : "  \(hsm.violations.count) policy violation(s)"
                state = "present  \(value)\(odd)\(violations)"
            }
            let serial = hsm.tokenSerial.map { "  serial \($0)" } ?? ""
            Console.out("  \(name)  \(state)\(serial)")
        }
        if !report.problems.isEmpty {
            Console.out()
            Console.out("Problems:")
            for problem in report.problems {
                Console.out("  \(problem)")
            }
        }
    }

    private static func row(_ title: String, _ text: String) {
        Console.out("  " + title.padding(toLength: 16, withPad: " ", startingAt: 0) + text)
    }

    private static func renderWarnings(_ warnings: [String]) {
        for warning in warnings {
            Console.error("warning: \(warning)")
        }
    }
}
