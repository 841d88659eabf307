import HSMSyncModel

/// Checks entry lines in order against each other and against signed roots, keeping O(log n)
/// state (AUDIT-LOG.md §6.2–6.3).
///
/// Per line `i`: PARSE (grammar, fields), FOREIGN_LOG (`log` ≠ origin), SEQ_GAP / SEQ_ORDER (`seq`
/// ≠ `i`, reported where the offset `seq − i` changes: `seq < i` is SEQ_ORDER; `seq > i` is
/// SEQ_ORDER when the next line carries `i` (an adjacent swap), else SEQ_GAP), CHAIN_BREAK (`prev`
/// ≠ leaf hash of line `i − 1`, 64 zeros at 0), TIME_REGRESSION (`time` more than the tolerance
/// before line `i − 1`'s). A CHAIN_BREAK at `i` blames line `i − 1` — whose bytes changed after
/// `i` recorded its hash — unless line `i` has a finding of its own or line `i + 1` also breaks,
/// in which case line `i` itself is blamed. After each line the tree root is compared with every
/// signed root of that size: ROOT_MISMATCH (index: the size of the last checkpoint that matched)
/// or, for a trusted checkpoint, FORK_VS_ANCHOR.
struct EntryStreamChecker {
    /// A root expected at some tree size.
    struct RootCheck {
        enum Kind {
            case checkpoint
            case anchor(source: String)
        }

        let size: UInt64
        let root: MerkleHash
        let kind: Kind
    }

    private struct Pending {
        let index: UInt64
        let seq: Int64?
        let chainBreak: Bool
        let ownFinding: Bool
    }

    private let checks: [RootCheck]
    private var nextCheck = 0
    private let tolerance: Int64
    private let strict: Bool
    private(set) var range = CompactRange()
    private var previousLeaf = MerkleHash.zero
    private var previousOffset: Int64 = 0
    private var previousTime: EntryTime?
    private var pending: Pending?
    private(set) var lastMatchedSize: UInt64 = 0
    private(set) var ceremoniesOpened = 0
    private(set) var ceremonyCloseIndices: [UInt64] = []
    var findings: FindingCollector

    /// The number of lines checked.
    var count: UInt64 { range.size }

    init(checks: [RootCheck], tolerance: Int64, strict: Bool, findings: FindingCollector) {
        self.checks = checks.sorted { $0.size < $1.size }
        self.tolerance = tolerance
        self.strict = strict
        self.findings = findings
        checkRoots()
    }

    /// Checks the next line.
    mutating func add(_ record: LineRecord) {
        let index = range.size
        var ownFinding = false
        var seqIssue: Int64?
        var chainBreak = false
        if let error = record.error {
            findings.add(VerificationFinding(.parse, index: index, message: "entry \(index): \(error)"))
            ownFinding = true
        } else {
            if !record.logMatches {
                findings.add(
                    VerificationFinding(
                        .foreignLog, index: index, message: "entry \(index): log is not this log's origin"))
                ownFinding = true
            }
            let offset = record.seq - Int64(index)
            if offset != 0 && offset != previousOffset {
                seqIssue = record.seq
                ownFinding = true
            }
            previousOffset = offset
            chainBreak = record.prev != (index == 0 ? MerkleHash.zero : previousLeaf)
            if let previousTime,
                record.time
                    < EntryTime(seconds: previousTime.seconds - tolerance, nanoseconds: previousTime.nanoseconds)
            {
                findings.add(
                    VerificationFinding(
                        .timeRegression, severity: strict ? .error : .warning, index: index,
                        message: "entry \(index): time is more than \(tolerance) s before entry \(index - 1)'s"))
            }
            previousTime = record.time
            switch record.action {
            case .ceremonyOpen: ceremoniesOpened += 1
            case .ceremonyClose: ceremonyCloseIndices.append(index)
            case .other: break
            }
        }
        resolvePending(next: record, nextChainBreak: chainBreak)
        pending = Pending(index: index, seq: seqIssue, chainBreak: chainBreak, ownFinding: ownFinding)
        range.append(record.leafHash)
        previousLeaf = record.leafHash
        checkRoots()
    }

    /// Settles the last line's findings; call after the last line.
    mutating func finish() {
        resolvePending(next: nil, nextChainBreak: false)
    }

    private mutating func resolvePending(next: LineRecord?, nextChainBreak: Bool) {
        guard let line = pending else { return }
        pending = nil
        if let seq = line.seq {
            let expected = Int64(line.index)
            let swapped = next.map { $0.error == nil && $0.seq == expected } ?? false
            let isOrder = seq < expected || swapped
            findings.add(
                VerificationFinding(
                    isOrder ? .seqOrder : .seqGap, index: line.index,
                    message: "entry \(line.index): seq is \(seq)"
                        + (isOrder ? " (out of order or repeated)" : " (entries missing before it)")))
        }
        if line.chainBreak {
            let blame = line.ownFinding || nextChainBreak || line.index == 0 ? line.index : line.index - 1
            let message =
                line.index == 0
                ? "entry 0: prev is not 64 zeros"
                : "entry \(line.index): prev is not the leaf hash of entry \(line.index - 1)"
                    + (blame == line.index
                        ? "; entry \(line.index) is out of place or altered" : "; entry \(blame) was altered")
            findings.add(VerificationFinding(.chainBreak, index: line.index, blame: blame, message: message))
        }
    }

    private mutating func checkRoots() {
        guard nextCheck < checks.count, checks[nextCheck].size == range.size else { return }
        let root = range.root
        while nextCheck < checks.count && checks[nextCheck].size == range.size {
            let check = checks[nextCheck]
            nextCheck += 1
            switch check.kind {
            case .checkpoint:
                if check.root == root {
                    lastMatchedSize = check.size
                } else {
                    findings.add(
                        VerificationFinding(
                            .rootMismatch, index: lastMatchedSize, checkpoint: check.size,
                            message: "checkpoint \(check.size): its root is not the root of entries 0..<\(check.size); "
                                + "entries \(lastMatchedSize)..<\(check.size) are not what was signed"))
                }
            case .anchor(let source):
                if check.root != root {
                    findings.add(
                        VerificationFinding(
                            .forkVsAnchor, checkpoint: check.size,
                            message: "trusted checkpoint \(source) (size \(check.size)): its root differs from the "
                                + "root of the log's first \(check.size) entries"))
                }
            }
        }
    }
}

/// Keeps the first ``LogVerifier/maximumFindings`` findings and counts the rest, so memory stays
/// bounded on a log that is garbage from end to end.
struct FindingCollector {
    private(set) var findings: [VerificationFinding] = []
    private(set) var omitted = 0

    mutating func add(_ finding: VerificationFinding) {
        if findings.count < LogVerifier.maximumFindings {
            findings.append(finding)
        } else {
            omitted += 1
        }
    }
}
