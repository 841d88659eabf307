import HSMSyncCore
import HSMSyncModel
import PKCS11
import SLIP39
import SignedLog
import Testing

/// Every vector of the reference implementation's vectors.json: valid ones give the published
/// master secret, invalid ones are refused with the specific error that fits the defect.
@Suite("SLIP-0039 reference test vectors")
struct SLIP39VectorTests {
    @Test("the fixture holds all 45 reference vectors")
    func fixtureIsComplete() {
        #expect(SLIP39Vector.all.count == 45)
        #expect(SLIP39Vector.all.filter { !$0.secret.isEmpty }.count == 15)
        #expect(SLIP39Vector.all.map(\.number) == Array(1...45))
    }

    @Test(
        "valid vectors recover the published master secret", arguments: SLIP39Vector.all.filter { !$0.secret.isEmpty })
    func validVector(_ vector: SLIP39Vector) throws {
        let secret = try recover(vector.mnemonics, passphrase: "TREZOR")
        #expect(secret.hex == vector.secret)
    }

    @Test(
        "valid vectors recover in any order",
        arguments: SLIP39Vector.all.filter { !$0.secret.isEmpty && $0.mnemonics.count > 1 })
    func validVectorReversed(_ vector: SLIP39Vector) throws {
        let secret = try recover(vector.mnemonics.reversed(), passphrase: "TREZOR")
        #expect(secret.hex == vector.secret)
    }

    @Test(
        "invalid vectors are refused with the fitting error", arguments: SLIP39Vector.all.filter { $0.secret.isEmpty })
    func invalidVector(_ vector: SLIP39Vector) throws {
        let expected = try #require(Self.expectedErrors[vector.number], "no expectation for vector \(vector.number)")
        let error = #expect(throws: ShareError.self) {
            _ = try recover(vector.mnemonics, passphrase: "TREZOR")
        }
        #expect(error.map(Self.kind) == expected, "\(String(describing: error))")
    }

    /// The error each invalid vector must produce (by case, with its key fields).
    static let expectedErrors: [Int: String] = {
        var table: [Int: String] = [:]
        for offset in [0, 19] {  // the 128-bit vectors, then the same defects at 256 bits
            table[2 + offset] = "invalidChecksum share 1"
            table[3 + offset] = "invalidPadding share 1"
            table[5 + offset] = "tooFewShares 1 of 2"
            table[6 + offset] = "foreignSet share 2"
            table[7 + offset] = "parameterMismatch iterationExponent share 2"
            table[8 + offset] = "parameterMismatch groupThreshold share 3"
            table[9 + offset] = "parameterMismatch groupCount share 2"
            table[10 + offset] = "groupThresholdExceedsGroupCount share 1"
            table[11 + offset] = "conflictingMemberIndex share 2"
            table[12 + offset] = "parameterMismatch memberThreshold share 2"
            table[13 + offset] = "digestMismatch entries 1 and 2"
            table[14 + offset] = "tooFewGroups 1 of 2"
            table[15 + offset] = "tooFewGroups 1 of 2"
            table[16 + offset] = "tooFewShares 1 of 2 in group 4"
        }
        table[39] = "invalidWordCount share 1: 19"
        table[40] = "invalidWordCount share 1: 21"
        return table
    }()

    static func kind(_ error: ShareError) -> String {
        switch error {
        case .invalidChecksum(let share): "invalidChecksum share \(share)"
        case .invalidPadding(let share): "invalidPadding share \(share)"
        case .invalidWordCount(let share, let count): "invalidWordCount share \(share): \(count)"
        case .tooFewShares(let group?, let have, let need): "tooFewShares \(have) of \(need) in group \(group)"
        case .tooFewShares(nil, let have, let need): "tooFewShares \(have) of \(need)"
        case .foreignSet(let share, _, _, _): "foreignSet share \(share)"
        case .parameterMismatch(let share, let parameter, _, _, _): "parameterMismatch \(parameter) share \(share)"
        case .groupThresholdExceedsGroupCount(let share, _, _): "groupThresholdExceedsGroupCount share \(share)"
        case .conflictingMemberIndex(let share, _): "conflictingMemberIndex share \(share)"
        case .digestMismatch(let subject): "digestMismatch \(subject)"
        case .tooFewGroups(let have, let need): "tooFewGroups \(have) of \(need)"
        default: "\(error)"
        }
    }
}
