/// What `hsmsync reconcile` will do, and what it will leave and why: computed from the parity
/// audit's findings, read-only.
public struct ReconcilePlan: Sendable, Codable {
    /// Each key × destination to copy.
    public let copies: [Copy]
    /// `missing` keys that will not be copied, with the reason.
    public let skipped: [Skip]
    /// `material-mismatch` findings: two different keys share one identity. Never touched.
    public let conflicts: [Finding]

    public init(copies: [Copy], skipped: [Skip], conflicts: [Finding]) {
        self.copies = copies
        self.skipped = skipped
        self.conflicts = conflicts
    }

    /// One key to copy from one HSM to another.
    public struct Copy: Sendable, Codable, Hashable {
        /// The key (for a key pair: the private key; for a public key missing alone: the public key).
        public let key: KeySummary
        public let identity: KeyIdentity
        /// The public key object that travels with a private key, when the source has one.
        public let publicKey: KeyIdentity?
        /// Whether the destination already holds that public key object (only the private key goes).
        public let publicKeyPresent: Bool
        public let source: String
        public let destination: String
        /// The source fingerprint from the scan, checked against the envelope and the copy.
        public let fingerprint: Fingerprint
        /// The source's transport check value (equal to the destination's, or there is no copy).
        public let transportCheckValue: String
        /// How the key travels, as negotiated for this source and destination (`nil`: a public key
        /// alone, which is not wrapped).
        public let method: WrapMethod?

        /// Whether this copies a public key on its own (no wrapping).
        public var isPublicKeyOnly: Bool { identity.objectClass == "public-key" }

        package init(
            key: KeySummary, identity: KeyIdentity, publicKey: KeyIdentity?, publicKeyPresent: Bool, source: String,
            destination: String, fingerprint: Fingerprint, transportCheckValue: String, method: WrapMethod?
        ) {
            self.key = key
            self.identity = identity
            self.publicKey = publicKey
            self.publicKeyPresent = publicKeyPresent
            self.source = source
            self.destination = destination
            self.fingerprint = fingerprint
            self.transportCheckValue = transportCheckValue
            self.method = method
        }
    }

    /// A `missing` key that is not copied to a destination.
    public struct Skip: Sendable, Codable, Hashable {
        public let key: KeySummary
        public let destination: String
        public let source: String?
        /// One word: `conflict`, `duplicate`, `unsyncable`, `transport`, `policy`, `unreachable`,
        /// `unsupported`, `wrap-with-trusted`.
        public let reason: String
        public let detail: String

        package init(key: KeySummary, destination: String, source: String?, reason: String, detail: String) {
            self.key = key
            self.destination = destination
            self.source = source
            self.reason = reason
            self.detail = detail
        }
    }
}
