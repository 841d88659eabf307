/// What the destination did with one envelope, step by step (for the journal and the audit log).
public struct InstalledKey: Sendable, Hashable {
    /// The identities promoted to token objects (the key, and its public key when it travelled).
    public let promoted: [KeyIdentity]
    /// How the staged copy was proven: `rewrap` (re-wrapped blob equal to the transported one),
    /// plus `public-key` and `sign-verify` where they apply.
    public let proofs: [String]
    /// The source's restrictions the destination token could not keep (it refuses the attribute on
    /// token objects), as `CKA_COPYABLE=false`-style phrases: reported as a weaker policy.
    public let weakened: [String]

    public init(promoted: [KeyIdentity], proofs: [String], weakened: [String] = []) {
        self.promoted = promoted
        self.proofs = proofs
        self.weakened = weakened
    }
}
