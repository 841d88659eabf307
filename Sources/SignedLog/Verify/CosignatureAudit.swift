import Foundation
import HSMSyncModel

/// The witness checks of AUDIT-LOG.md §6.5 over the accepted checkpoints: each cosignature by a
/// policy witness must verify (BAD_COSIGNATURE), its time may not lie in the future
/// (FUTURE_COSIG) nor go back for the same witness as sizes grow (COSIG_TIME_REGRESSION), and
/// the final checkpoint and the first checkpoint after each `ceremony.close` must meet the
/// quorum (QUORUM_NOT_MET). Cosignatures of keys the policy does not know are counted, not used.
struct CosignatureAudit {
    let accepted: [UInt64: CheckpointLoader.Accepted]
    let policy: WitnessPolicy?
    let ceremonyCloseIndices: [UInt64]
    let now: Date
    let tolerance: Int64

    struct Outcome {
        var findings: [VerificationFinding] = []
        var summaries: [VerificationReport.CheckpointSummary] = []
        var ignored = 0
    }

    func run() -> Outcome {
        var outcome = Outcome()
        let sizes = accepted.keys.sorted()
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        var lastTime: [String: (size: UInt64, time: UInt64)] = [:]
        for size in sizes {
            let checkpoint = accepted[size]!
            let text = Array(checkpoint.checkpoint.text.utf8)
            var cosigners: [VerificationReport.Cosigner] = []
            for signature in checkpoint.signatures {
                if signature.keyName == checkpoint.checkpoint.origin { continue }  // the log's own line(s)
                guard let policy, let witness = policy.witness(for: signature) else {
                    outcome.ignored += 1
                    continue
                }
                guard witness.key.verify(signature, text: text), let cosignature = Cosignature(signature) else {
                    outcome.findings.append(
                        VerificationFinding(
                            .badCosignature, checkpoint: size,
                            message: "checkpoint \(size): the cosignature of witness \(witness.name) does not verify"))
                    continue
                }
                if Int64(cosignature.timestamp) > nowSeconds + tolerance {
                    outcome.findings.append(
                        VerificationFinding(
                            .futureCosig, checkpoint: size,
                            message:
                                "checkpoint \(size): witness \(witness.name) cosigned at \(cosignature.timestamp), "
                                + "in the future"))
                }
                if let index = cosigners.firstIndex(where: { $0.name == witness.name }) {
                    // Cosigned twice (two lines on the copies of one checkpoint): keep the later time.
                    if cosigners[index].timestamp < cosignature.timestamp {
                        cosigners[index] = VerificationReport.Cosigner(
                            name: witness.name, timestamp: cosignature.timestamp)
                    }
                } else {
                    cosigners.append(VerificationReport.Cosigner(name: witness.name, timestamp: cosignature.timestamp))
                }
            }
            for cosigner in cosigners {
                if let previous = lastTime[cosigner.name], cosigner.timestamp < previous.time {
                    outcome.findings.append(
                        VerificationFinding(
                            .cosigTimeRegression, checkpoint: size,
                            message: "checkpoint \(size): witness \(cosigner.name) cosigned at \(cosigner.timestamp), "
                                + "before its cosignature of checkpoint \(previous.size) at \(previous.time)"))
                }
                lastTime[cosigner.name] = (size, cosigner.timestamp)
            }
            let met = policy.map { $0.isSatisfied(byWitnesses: Set(cosigners.map(\.name))) }
            outcome.summaries.append(
                VerificationReport.CheckpointSummary(
                    size: size, rootHash: checkpoint.checkpoint.rootHash, cosigners: cosigners, quorumMet: met))
        }
        guard let policy, policy.quorum != "none", let finalSize = sizes.last else { return outcome }
        var required: [UInt64] = [finalSize]
        for close in ceremonyCloseIndices {
            if let size = sizes.first(where: { $0 > close }), !required.contains(size) { required.append(size) }
        }
        for size in required.sorted() {
            let summary = outcome.summaries.first { $0.size == size }!
            if summary.quorumMet != true {
                let names = summary.cosigners.map(\.name).joined(separator: ", ")
                outcome.findings.append(
                    VerificationFinding(
                        .quorumNotMet, checkpoint: size,
                        message: "checkpoint \(size)\(size == finalSize ? " (the latest)" : " (closes a ceremony)"): "
                            + "cosigned by [\(names)], which does not meet quorum \(policy.quorum)"))
            }
        }
        return outcome
    }
}
