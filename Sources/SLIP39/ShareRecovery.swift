import HSMSyncModel
public import SecureMemory

/// Collects SLIP-0039 shares one at a time, checking each as it is entered, then recovers the master
/// secret — cross-checking when more shares than needed were given.
///
/// ```swift
/// var recovery = ShareRecovery()
/// for file in shareFiles {
///     let metadata = try recovery.add(read(file))  // refused shares throw ShareError, naming the share
/// }
/// let key = try recovery.recoverMasterSecret()     // SecretBytes; throws naming any bad share
/// ```
///
/// Shares are numbered by acceptance, from 1: a refused share does not use up its number, so the
/// operator re-enters "share 3" after fixing it. Holding more than a threshold of shares makes
/// recovery check every share against the others, so a damaged or altered share is named instead of
/// silently ignored (SECURITY.md R9).
public struct ShareRecovery: Sendable {
    private var shares: [MnemonicShare] = []

    /// An empty collection.
    public init() {}

    /// The public fields of the shares accepted so far, in entry order.
    public var acceptedShares: [ShareMetadata] { shares.map(\.metadata) }

    /// The number the next share will be known by in messages.
    public var nextShareNumber: Int { shares.count + 1 }

    /// Parses one share's text and accepts it if it is well-formed and fits with those accepted so far.
    ///
    /// - Parameter text: the share's words; see ``MnemonicShare/parse(_:shareNumber:)`` for the format.
    /// - Returns: the share's public fields (for "share 2 of set 21219 accepted, 3 needed").
    /// - Throws: ``ShareError``; nothing is kept from a refused share.
    @discardableResult
    public mutating func add(_ text: borrowing SecretBytes) throws(ShareError) -> ShareMetadata {
        try add(MnemonicShare.parse(text, shareNumber: nextShareNumber))
    }

    /// Accepts an already parsed share if it fits with those accepted so far: same set (identifier,
    /// extendable flag, iteration exponent, group threshold and count, secret length), the same member
    /// threshold as other shares of its group, and not a second share for the same place.
    ///
    /// - Throws: ``ShareError`` naming this share and the accepted one it conflicts with.
    @discardableResult
    public mutating func add(_ share: MnemonicShare) throws(ShareError) -> ShareMetadata {
        let number = nextShareNumber
        let new = share.metadata
        if let first = shares.first?.metadata {
            guard new.identifier == first.identifier else {
                throw .foreignSet(
                    share: number, identifier: new.identifier, otherShare: 1, otherIdentifier: first.identifier)
            }
            let setParameters: [(SetParameter, KeyPath<ShareMetadata, Int>)] = [
                (.iterationExponent, \.iterationExponent), (.groupThreshold, \.groupThreshold),
                (.groupCount, \.groupCount), (.valueLength, \.valueByteCount),
            ]
            if new.isExtendable != first.isExtendable {
                throw .parameterMismatch(
                    share: number, parameter: .extendableFlag, value: new.isExtendable ? 1 : 0, otherShare: 1,
                    otherValue: first.isExtendable ? 1 : 0)
            }
            for (parameter, field) in setParameters where new[keyPath: field] != first[keyPath: field] {
                throw .parameterMismatch(
                    share: number, parameter: parameter, value: new[keyPath: field], otherShare: 1,
                    otherValue: first[keyPath: field])
            }
        }
        for (index, other) in shares.enumerated() where other.metadata.groupIndex == new.groupIndex {
            if other.metadata.memberThreshold != new.memberThreshold {
                throw .parameterMismatch(
                    share: number, parameter: .memberThreshold, value: new.memberThreshold, otherShare: index + 1,
                    otherValue: other.metadata.memberThreshold)
            }
            if other.metadata.memberIndex == new.memberIndex {
                if other.hasSameValue(as: share) {
                    throw .duplicateShare(share: number, sameAs: index + 1)
                }
                throw .conflictingMemberIndex(share: number, otherShare: index + 1)
            }
        }
        shares.append(share)
        return new
    }

    /// Which groups have how many of the shares they need.
    public var progress: RecoveryProgress {
        guard let first = shares.first?.metadata else {
            return RecoveryProgress(groupThreshold: 0, groupCount: 0, groups: [])
        }
        let groups = Dictionary(grouping: shares, by: \.metadata.groupIndex)
            .sorted { $0.key < $1.key }
            .map { index, members in
                RecoveryProgress.GroupProgress(
                    groupIndex: index, entered: members.count, needed: members[0].metadata.memberThreshold)
            }
        return RecoveryProgress(groupThreshold: first.groupThreshold, groupCount: first.groupCount, groups: groups)
    }

    /// Recovers the master secret with the empty passphrase (hsmsync's transport keys).
    ///
    /// - Returns: the secret in a new locked buffer; every intermediate buffer is wiped.
    /// - Throws: ``ShareError``: too few shares or groups, a digest mismatch, or the shares that
    ///   disagree with the others when more than a threshold were given.
    public func recoverMasterSecret() throws(ShareError) -> SecretBytes {
        let passphrase = SecretBytes(zeroedCount: 0)
        return try recoverMasterSecret(passphrase: passphrase)
    }

    /// Recovers the master secret, decrypting it with `passphrase`.
    ///
    /// A wrong passphrase is not detected: it yields a different secret (SLIP-0039's plausible
    /// deniability). hsmsync compares the key check value with the ceremony record instead.
    public func recoverMasterSecret(passphrase: borrowing SecretBytes) throws(ShareError) -> SecretBytes {
        guard let first = shares.first?.metadata else { throw .noShares }
        let numbered = shares.enumerated().map { (number: $0.offset + 1, share: $0.element) }
        let groups = Dictionary(grouping: numbered, by: \.share.metadata.groupIndex).sorted { $0.key < $1.key }
        for (groupIndex, members) in groups where members.count < members[0].share.metadata.memberThreshold {
            throw .tooFewShares(
                group: first.groupCount > 1 ? groupIndex + 1 : nil, have: members.count,
                need: members[0].share.metadata.memberThreshold)
        }
        guard groups.count >= first.groupThreshold else {
            throw .tooFewGroups(have: groups.count, need: first.groupThreshold)
        }

        var groupPoints: [SubsetCrossCheck.NumberedPoint] = []
        for (groupIndex, members) in groups {
            let memberPoints = members.map {
                SubsetCrossCheck.NumberedPoint(point: $0.share.memberPoint, number: $0.number)
            }
            let groupShare = try SubsetCrossCheck.recover(
                memberPoints, threshold: members[0].share.metadata.memberThreshold, subject: ShareSubject.shares)
            groupPoints.append(
                SubsetCrossCheck.NumberedPoint(
                    point: SharePoint(x: UInt8(groupIndex), value: SecretBox(groupShare)), number: groupIndex + 1))
        }
        let encrypted = try SubsetCrossCheck.recover(
            groupPoints, threshold: first.groupThreshold, subject: ShareSubject.groups)
        let parameters = MasterSecretCipher.CipherParameters(
            identifier: first.identifier, isExtendable: first.isExtendable,
            iterationExponent: first.iterationExponent)
        return try MasterSecretCipher.decrypt(encrypted, passphrase: passphrase, parameters: parameters)
    }
}
