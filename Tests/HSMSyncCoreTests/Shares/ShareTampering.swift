import HSMSyncModel
import PKCS11
import SLIP39
import SecureMemory
import SignedLog

@testable import HSMSyncCore

// Builds shares that pass every per-share check (valid words and checksum) but carry a changed
// value or field, as an attacker or a careless transcription with a recomputed checksum would.

/// `mnemonic` with one bit of its share value flipped and a valid checksum.
func tamperedValue(of mnemonic: String, byte: Int = 0) throws -> String {
    let share = try MnemonicShare.parse(SecretBytes(text: mnemonic), shareNumber: 1)
    var value = share.value.bytes.duplicate()
    value.withUnsafeMutableBytes { $0[byte] ^= 0x01 }
    return MnemonicShare(metadata: share.metadata, value: value).mnemonic().text
}

/// `mnemonic` with some public fields changed and a valid checksum.
func altered(
    _ mnemonic: String, memberThreshold: Int? = nil, memberIndex: Int? = nil, identifier: Int? = nil,
    iterationExponent: Int? = nil
) throws -> String {
    let share = try MnemonicShare.parse(SecretBytes(text: mnemonic), shareNumber: 1)
    let old = share.metadata
    let metadata = ShareMetadata(
        identifier: identifier ?? old.identifier, isExtendable: old.isExtendable,
        iterationExponent: iterationExponent ?? old.iterationExponent, groupIndex: old.groupIndex,
        groupThreshold: old.groupThreshold, groupCount: old.groupCount, memberIndex: memberIndex ?? old.memberIndex,
        memberThreshold: memberThreshold ?? old.memberThreshold, valueByteCount: old.valueByteCount)
    return MnemonicShare(metadata: metadata, value: share.value.bytes.duplicate()).mnemonic().text
}
