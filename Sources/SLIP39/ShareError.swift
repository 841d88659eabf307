public import HSMSyncModel

/// Why a SLIP-0039 share was refused or a set of shares could not be combined.
///
/// Shares are numbered as the operator entered them, from 1; words within a share from 1. The
/// message names shares, words, groups and public set parameters, and never a share's words.
public enum ShareError: CategorizedError, Hashable {
    // MARK: One share on its own

    /// The share text holds no words.
    case empty(share: Int)
    /// A word is not in the SLIP-0039 word list.
    case unknownWord(share: Int, word: Int)
    /// No SLIP-0039 share has this many words.
    case invalidWordCount(share: Int, count: Int)
    /// The RS1024 checksum does not match: a word is wrong, missing, extra or out of place.
    case invalidChecksum(share: Int)
    /// The padding bits in front of the share value are not zero.
    case invalidPadding(share: Int)
    /// The share needs more groups than its set has.
    case groupThresholdExceedsGroupCount(share: Int, threshold: Int, count: Int)
    /// The share's group index is beyond its set's group count.
    case groupIndexOutOfRange(share: Int, group: Int, count: Int)

    // MARK: A share against those accepted before it

    /// The share's identifier differs: it belongs to another share set.
    case foreignSet(share: Int, identifier: Int, otherShare: Int, otherIdentifier: Int)
    /// A set (or group) parameter differs from an accepted share's.
    case parameterMismatch(share: Int, parameter: SetParameter, value: Int, otherShare: Int, otherValue: Int)
    /// The share was already entered.
    case duplicateShare(share: Int, sameAs: Int)
    /// Two shares claim the same place in a group but differ.
    case conflictingMemberIndex(share: Int, otherShare: Int)

    // MARK: Combining

    /// Nothing was entered.
    case noShares
    /// Shares of fewer groups than the group threshold were entered.
    case tooFewGroups(have: Int, need: Int)
    /// Fewer shares than the threshold were entered (for group `group`, 1-based, when the set has
    /// several groups).
    case tooFewShares(group: Int?, have: Int, need: Int)
    /// Exactly a threshold of shares (or groups) was given and they do not combine into a secret
    /// that matches its digest.
    case digestMismatch(ShareSubject)
    /// Cross-checking more than a threshold of shares (or groups) found some that disagree with a
    /// verified secret that all the others agree on.
    case inconsistent(bad: ShareSubject, agreeing: ShareSubject)
    /// Cross-checking found no threshold-sized subset that combines into a verified secret.
    case noConsistentSubset(ShareSubject, threshold: Int)
    /// Cross-checking found conflicting verified secrets with equal support.
    case ambiguous(ShareSubject)

    // MARK: Not the shares' fault

    /// A cryptographic primitive failed (never expected; not caused by the shares).
    case cryptographicFailure(String)

    /// Every share problem is invalid input (exit 2); a failing primitive is a runtime failure.
    public var category: FailureCategory {
        if case .cryptographicFailure = self { return .runtime }
        return .invalidInput
    }

    /// What went wrong, for the operator: shares and words by position, never a share's words.
    public var description: String {
        switch self {
        case .empty(let share):
            return "entry \(share) is empty: no words were found"
        case .unknownWord(let share, let word):
            return "entry \(share), word \(word) is not in the SLIP-0039 word list"
        case .invalidWordCount(let share, let count) where count < SLIP39Format.minimumWordCount:
            return "entry \(share) has \(count) word\(count == 1 ? "" : "s"); a SLIP-0039 share has at least "
                + "\(SLIP39Format.minimumWordCount) (33 for a 256-bit key): words are missing"
        case .invalidWordCount(let share, let count):
            return "entry \(share) has \(count) words, a length no SLIP-0039 share has: a word is missing or extra"
        case .invalidChecksum(let share):
            return "entry \(share) fails its checksum: a word is mistyped, missing, extra or out of order"
        case .invalidPadding(let share):
            let firstValueWord = SLIP39Format.identifierWordCount + SLIP39Format.parameterWordCount + 1
            return "entry \(share) is malformed: the padding bits of word \(firstValueWord) are not zero"
        case .groupThresholdExceedsGroupCount(let share, let threshold, let count):
            return "entry \(share) is malformed: it needs \(threshold) groups but says the set has only \(count)"
        case .groupIndexOutOfRange(let share, let group, let count):
            return "entry \(share) is malformed: it is in group \(group) but says the set has \(count) "
                + "group\(count == 1 ? "" : "s")"
        case .foreignSet(let share, let identifier, let otherShare, let otherIdentifier):
            return "entry \(share) belongs to another share set (identifier \(identifier)) than entry \(otherShare) "
                + "(identifier \(otherIdentifier))"
        case .parameterMismatch(let share, let parameter, let value, let otherShare, let otherValue):
            return "entry \(share) does not match entry \(otherShare): \(parameter.describe(value)) where entry "
                + "\(otherShare) has \(parameter.describe(otherValue)); one of them is from another set or was altered"
        case .duplicateShare(let share, let sameAs):
            return "entry \(share) is entry \(sameAs) entered again"
        case .conflictingMemberIndex(let share, let otherShare):
            return
                "entry \(share) has the same share number as entry \(otherShare) but different contents: one of them is "
                + "damaged or from another set"
        case .noShares:
            return "no shares were entered"
        case .tooFewGroups(let have, let need):
            return "shares of \(have) group\(have == 1 ? " were" : "s were") entered; \(need) groups are needed"
        case .tooFewShares(let group?, let have, let need):
            return "group \(group) has \(have) share\(have == 1 ? "" : "s"); it needs \(need)"
        case .tooFewShares(nil, let have, let need):
            return "\(have) share\(have == 1 ? " was" : "s were") entered; \(need) are needed"
        case .digestMismatch(let subject):
            return "\(subject) do not combine into the shared secret (digest check failed): at least one is damaged, "
                + "altered or from another set; entering one more \(subject.noun) lets hsmsync name the bad one"
        case .inconsistent(let bad, let agreeing):
            let (verb, be, pronoun) = bad.isSingle ? ("disagrees", "is", "it") : ("disagree", "are", "them")
            return "\(bad) \(verb) with \(agreeing), which combine into a verified secret: \(bad) \(be) damaged or "
                + "altered; leave \(pronoun) out"
        case .noConsistentSubset(let subject, let threshold):
            return "no \(threshold) of \(subject) combine into a verified secret: more than "
                + "\(subject.count - threshold) of them are bad"
        case .ambiguous(let subject):
            return "\(subject) contain conflicting verified secrets; the set cannot be trusted"
        case .cryptographicFailure(let reason):
            return "a cryptographic operation failed: \(reason)"
        }
    }
}
