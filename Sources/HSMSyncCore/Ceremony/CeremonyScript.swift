public import HSMSyncModel
public import SignedLog

/// A ceremony file, decoded strictly and validated against its fleet: the whole input of
/// `hsmsync ceremony validate|plan|run` (one reviewable file, as boulder's `cmd/ceremony` has it).
///
/// Every step names its action and every parameter explicitly; nothing is implied by defaults, so
/// what the witnesses read is what the runner does. See docs/ceremony-format.md.
public struct CeremonyScript: Sendable {
    /// The ceremony's name (`ceremony:`), also the run identifier's prefix in the log.
    public let name: String
    /// The file it was read from.
    public let path: String
    /// SHA-256 of the file's bytes: the ceremony's first input in the log.
    public let digest: AuditDigest
    /// The fleet file, resolved against the ceremony file's directory.
    public let fleetPath: String
    public let roles: CeremonyRoles
    public let steps: [CeremonyStep]
}

/// Who takes part: one master of ceremonies, the custodians of the transport key's shares (with
/// the share threshold), and the witnesses.
public struct CeremonyRoles: Sendable, Hashable {
    public let master: String
    /// In share order: share *i* of a new set goes to custodian *i*.
    public let custodians: [String]
    /// M: shares needed to rebuild the transport key.
    public let threshold: Int
    public let witnesses: [CeremonyWitness]

    /// `master`, `custodian` or `witness`, or `nil` for a name that takes no part.
    public func role(of person: String) -> String? {
        if person == master { return "master" }
        if custodians.contains(person) { return "custodian" }
        if witnesses.contains(where: { $0.name == person }) { return "witness" }
        return nil
    }

    /// Everybody, master first.
    public var everyone: [String] { [master] + custodians + witnesses.map(\.name) }
}

/// A witness, with the vkey of their tlog-cosignature key when they sign off by cosigning.
public struct CeremonyWitness: Sendable, Hashable {
    public let name: String
    public let vkey: VerifierKey?
}

/// One step: a unique id, a title for people, who performs it, and the action.
public struct CeremonyStep: Sendable {
    public let id: String
    public let title: String
    /// The person who performs the step (recorded as the actor).
    public let by: String
    public let action: CeremonyAction
    /// The step's YAML path (`steps[3]`), for messages.
    public let path: String
}
