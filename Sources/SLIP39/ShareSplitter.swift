import HSMSyncModel
public import SecureMemory

/// Splits a master secret into SLIP-0039 mnemonic shares.
///
/// hsmsync shares a transport key as one group, M of N (``split(masterSecret:threshold:count:options:random:)``);
/// the multi-group form exists for completeness and interoperability. The output matches the
/// reference implementation (`shamir_mnemonic.generate_mnemonics`) byte for byte when both draw
/// the same random bytes.
public enum ShareSplitter {
    /// One group of shares: `threshold` of its `count` shares recover the group's share.
    public struct Group: Sendable, Hashable {
        /// Shares of this group needed, `1...count`.
        public let threshold: Int
        /// Shares to make, `1...16`.
        public let count: Int

        /// A group whose `threshold` of `count` shares are needed.
        public init(threshold: Int, count: Int) {
            self.threshold = threshold
            self.count = count
        }
    }

    /// Parameters of a new share set beyond its thresholds.
    public struct Options: Sendable, Hashable {
        /// The iteration exponent *e* (0…15): the passphrase cipher costs 10000 · 2ᵉ PBKDF2
        /// iterations. The reference implementation's default is 1.
        public var iterationExponent: Int
        /// Whether the set is extendable (SLIP-0039's current default).
        public var isExtendable: Bool

        /// The reference implementation's defaults: extendable, iteration exponent 1.
        public init(iterationExponent: Int = 1, isExtendable: Bool = true) {
            self.iterationExponent = iterationExponent
            self.isExtendable = isExtendable
        }
    }

    /// Splits `masterSecret` into `count` shares of one group, any `threshold` of which recover it,
    /// with the empty passphrase (as hsmsync's transport keys are).
    ///
    /// - Parameters:
    ///   - masterSecret: at least 16 bytes, an even number (a 256-bit AES key is 32).
    ///   - threshold: shares needed, `1...count` (hsmsync's policy, SECURITY.md R9, asks for at least 2).
    ///   - count: shares to make, at most 16.
    ///   - random: the source of the identifier and the random coefficients (the HSM in production).
    /// - Returns: the shares in member order; ``MnemonicShare/mnemonic()`` gives each one's words.
    /// - Throws: ``ShareSplitError`` for bad parameters; whatever `random` throws.
    public static func split<Random: RandomByteSource & ~Copyable>(
        masterSecret: borrowing SecretBytes, threshold: Int, count: Int, options: Options = Options(),
        random: borrowing Random
    ) throws -> [MnemonicShare] {
        let passphrase = SecretBytes(zeroedCount: 0)
        return try split(
            masterSecret: masterSecret, groupThreshold: 1, groups: [Group(threshold: threshold, count: count)],
            passphrase: passphrase, options: options, random: random)[0]
    }

    /// Splits `masterSecret`, encrypted under `passphrase`, into groups of shares: any
    /// `groupThreshold` groups, each with its own member threshold, recover it.
    ///
    /// - Parameters:
    ///   - passphrase: printable ASCII; empty for none.
    /// - Returns: one array of shares per group, in group order.
    /// - Throws: ``ShareSplitError`` for bad parameters; whatever `random` throws.
    public static func split<Random: RandomByteSource & ~Copyable>(
        masterSecret: borrowing SecretBytes, groupThreshold: Int, groups: [Group],
        passphrase: borrowing SecretBytes, options: Options = Options(), random: borrowing Random
    ) throws -> [[MnemonicShare]] {
        try validate(
            secretLength: masterSecret.count, groupThreshold: groupThreshold, groups: groups, options: options)
        let printable = passphrase.withUnsafeBytes { bytes in bytes.allSatisfy { (32...126).contains($0) } }
        guard printable else { throw ShareSplitError.passphraseNotPrintableASCII }

        let identifierBytes = try draw(2, from: random)
        let identifier = identifierBytes.withUnsafeBytes { bytes in
            (Int(bytes[0]) << 8 | Int(bytes[1])) & ((1 << SLIP39Format.identifierBitCount) - 1)
        }
        let parameters = MasterSecretCipher.CipherParameters(
            identifier: identifier, isExtendable: options.isExtendable, iterationExponent: options.iterationExponent)
        let encrypted = SecretBox(
            try MasterSecretCipher.encrypt(masterSecret, passphrase: passphrase, parameters: parameters))

        let groupShares = try splitSecret(encrypted, threshold: groupThreshold, count: groups.count, random: random)
        var result: [[MnemonicShare]] = []
        for (group, groupShare) in zip(groups, groupShares) {
            let memberShares = try splitSecret(
                groupShare.value, threshold: group.threshold, count: group.count, random: random)
            result.append(
                memberShares.map { member in
                    let metadata = ShareMetadata(
                        identifier: identifier, isExtendable: options.isExtendable,
                        iterationExponent: options.iterationExponent, groupIndex: Int(groupShare.x),
                        groupThreshold: groupThreshold, groupCount: groups.count, memberIndex: Int(member.x),
                        memberThreshold: group.threshold, valueByteCount: masterSecret.count)
                    return MnemonicShare(metadata: metadata, value: member.value.bytes.duplicate())
                })
        }
        return result
    }

    private static func validate(secretLength: Int, groupThreshold: Int, groups: [Group], options: Options) throws {
        guard secretLength >= SLIP39Format.minimumSecretByteCount, secretLength % 2 == 0 else {
            throw ShareSplitError.invalidSecretLength(bytes: secretLength)
        }
        guard !groups.isEmpty else { throw ShareSplitError.noGroups }
        guard (1...groups.count).contains(groupThreshold), groups.count <= SLIP39Format.maximumShareCount else {
            throw ShareSplitError.invalidThreshold(threshold: groupThreshold, count: groups.count)
        }
        for group in groups {
            guard (1...max(group.count, 1)).contains(group.threshold), group.count <= SLIP39Format.maximumShareCount
            else {
                throw ShareSplitError.invalidThreshold(threshold: group.threshold, count: group.count)
            }
            guard group.threshold > 1 || group.count == 1 else {
                throw ShareSplitError.multipleSharesWithThresholdOne(count: group.count)
            }
        }
        guard (0...SLIP39Format.maximumIterationExponent).contains(options.iterationExponent) else {
            throw ShareSplitError.invalidIterationExponent(options.iterationExponent)
        }
    }

    /// Shamir-splits `secret` into `count` points at x = 0, 1, …: T − 2 random points, the digest
    /// point (254) and the secret (255) fix the polynomials, and the other points are evaluated.
    private static func splitSecret<Random: RandomByteSource & ~Copyable>(
        _ secret: SecretBox, threshold: Int, count: Int, random: borrowing Random
    ) throws -> [SharePoint] {
        if threshold == 1 {
            return (0..<count).map { SharePoint(x: UInt8($0), value: SecretBox(secret.bytes.duplicate())) }
        }
        var points: [SharePoint] = []
        for x in 0..<(threshold - 2) {
            points.append(SharePoint(x: UInt8(x), value: SecretBox(try draw(secret.count, from: random))))
        }
        let randomPart = try draw(secret.count - SLIP39Format.digestByteCount, from: random)
        let digestShare = SecretDigest.digestShare(secret: secret.bytes, randomPart: randomPart)
        let base =
            points + [
                SharePoint(x: SLIP39Format.digestIndex, value: SecretBox(digestShare)),
                SharePoint(x: SLIP39Format.secretIndex, value: secret),
            ]
        for x in (threshold - 2)..<count {
            points.append(SharePoint(x: UInt8(x), value: SecretBox(Interpolation.evaluate(base, at: UInt8(x)))))
        }
        return points
    }

    private static func draw<Random: RandomByteSource & ~Copyable>(
        _ count: Int, from random: borrowing Random
    ) throws -> SecretBytes {
        let bytes = try random.randomBytes(count: count)
        guard bytes.count == count else {
            throw ShareSplitError.shortRandomOutput(requested: count, received: bytes.count)
        }
        return bytes
    }
}
