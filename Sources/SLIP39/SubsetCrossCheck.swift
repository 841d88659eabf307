import HSMSyncModel
import SecureMemory

/// Recovers a shared secret from its points and, when more points than the threshold are given,
/// proves that all of them agree — or names those that do not (SECURITY.md R9, T23).
///
/// A secret recovered from a threshold-sized subset is *verified* when it matches the digest
/// recovered with it (for threshold 1 there is no digest and every point is its own candidate). A
/// point *supports* a verified secret when it lies on that subset's polynomials, which is the same
/// as every threshold-sized subset containing it reconstructing the same secret. All points must
/// support one verified secret; otherwise the points outside the best-supported one are named.
enum SubsetCrossCheck {
    /// A point and the number the operator knows it by: a share's entry number or a group's number.
    struct NumberedPoint {
        let point: SharePoint
        let number: Int
    }

    /// The secret (x = 255) of the polynomials through `points`, all of which must agree.
    ///
    /// - Parameters:
    ///   - threshold: the number of points that fix the polynomials; `points.count >= threshold`.
    ///   - subject: builds the error subject ("shares …" or "groups …") from point numbers.
    /// - Throws: ``ShareError/digestMismatch(_:)`` when exactly `threshold` points fail the digest;
    ///   ``ShareError/inconsistent(bad:agreeing:)``, ``ShareError/noConsistentSubset(_:threshold:)`` or
    ///   ``ShareError/ambiguous(_:)`` when more points were given.
    static func recover(
        _ points: [NumberedPoint], threshold: Int, subject: ([Int]) -> ShareSubject
    ) throws(ShareError) -> SecretBytes {
        precondition(threshold >= 1 && points.count >= threshold && points.count <= 32)
        let all: UInt32 = points.count == 32 ? .max : (1 << UInt32(points.count)) - 1
        var candidates: [(secret: SecretBox, support: UInt32)] = []
        var subset = Array(0..<threshold)
        repeat {
            let mask = subset.reduce(UInt32(0)) { $0 | 1 << UInt32($1) }
            // A subset inside a known support set yields that candidate again.
            if candidates.contains(where: { mask & ~$0.support == 0 }) { continue }
            let subsetPoints = subset.map { points[$0].point }
            guard let secret = verifiedSecret(subsetPoints, threshold: threshold) else { continue }
            var support = mask
            for (index, other) in points.enumerated() where mask & (1 << UInt32(index)) == 0 {
                let expected = Interpolation.evaluate(subsetPoints, at: other.point.x)
                if expected.constantTimeEquals(other.point.value.bytes) {
                    support |= 1 << UInt32(index)
                }
            }
            if support == all {
                return secret.bytes.duplicate()
            }
            candidates.append((secret, support))
        } while nextCombination(&subset, of: points.count)

        let numbers = points.map(\.number)
        func selected(_ mask: UInt32) -> [Int] {
            numbers.indices.filter { mask & (1 << UInt32($0)) != 0 }.map { numbers[$0] }
        }
        guard let best = candidates.max(by: { $0.support.nonzeroBitCount < $1.support.nonzeroBitCount }) else {
            if points.count == threshold {
                throw .digestMismatch(subject(numbers))
            }
            throw .noConsistentSubset(subject(numbers), threshold: threshold)
        }
        let rivals = candidates.filter { $0.support.nonzeroBitCount == best.support.nonzeroBitCount }
        guard rivals.count == 1 else {
            throw .ambiguous(subject(numbers))
        }
        throw .inconsistent(bad: subject(selected(all & ~best.support)), agreeing: subject(selected(best.support)))
    }

    /// The secret of the polynomials through exactly `threshold` points, if the digest confirms it.
    private static func verifiedSecret(_ points: [SharePoint], threshold: Int) -> SecretBox? {
        if threshold == 1 {
            // Threshold 1 shares are the secret itself, with no digest.
            return points[0].value
        }
        let secret = Interpolation.evaluate(points, at: SLIP39Format.secretIndex)
        let digestShare = Interpolation.evaluate(points, at: SLIP39Format.digestIndex)
        guard SecretDigest.verify(secret: secret, digestShare: digestShare) else { return nil }
        return SecretBox(secret)
    }

    /// Advances `combination` (ascending indices) to the next k-subset of `0..<n` in lexicographic
    /// order; `false` after the last.
    private static func nextCombination(_ combination: inout [Int], of n: Int) -> Bool {
        let k = combination.count
        var i = k - 1
        while i >= 0 && combination[i] == n - k + i {
            i -= 1
        }
        guard i >= 0 else { return false }
        combination[i] += 1
        for j in (i + 1)..<k {
            combination[j] = combination[j - 1] + 1
        }
        return true
    }
}
