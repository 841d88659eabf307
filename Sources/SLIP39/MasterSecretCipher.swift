import Crypto
import CryptoExtras
import Foundation
import HSMSyncModel
import SecureMemory

/// The 4-round Feistel cipher with which SLIP-0039 encrypts the master secret under a passphrase
/// before it is shared (and decrypts it after recovery). The round function is
/// PBKDF2-HMAC-SHA256 keyed by the round number and the passphrase, salted with `"shamir"` and the
/// set identifier (unless the set is extendable) and the right half of the state.
///
/// All state lives in locked, wiped buffers. swift-crypto stages each PBKDF2 output in an
/// unwiped heap `Data` before handing it over as a (wiped) `SymmetricKey`; that copy is outside
/// hsmsync's control and is the one known residue of this computation.
enum MasterSecretCipher {
    /// PBKDF2 iterations of all four rounds together at iteration exponent 0.
    static let baseIterationCount = 10_000

    /// The number of Feistel rounds.
    static let roundCount = 4

    /// Encrypts a master secret into the encrypted master secret that is shared.
    static func encrypt(
        _ secret: borrowing SecretBytes, passphrase: borrowing SecretBytes, parameters: CipherParameters
    ) throws(ShareError) -> SecretBytes {
        try run(secret, passphrase: passphrase, parameters: parameters, rounds: Array(0..<roundCount))
    }

    /// Decrypts a recovered encrypted master secret.
    static func decrypt(
        _ encrypted: borrowing SecretBytes, passphrase: borrowing SecretBytes, parameters: CipherParameters
    ) throws(ShareError) -> SecretBytes {
        try run(encrypted, passphrase: passphrase, parameters: parameters, rounds: Array((0..<roundCount).reversed()))
    }

    /// The parameters of a share set that the cipher depends on.
    struct CipherParameters {
        let identifier: Int
        let isExtendable: Bool
        let iterationExponent: Int

        /// The salt prefix: `"shamir"` and the 15-bit identifier (2 bytes, big-endian), or nothing
        /// for an extendable set (whose shares can then be re-split under new identifiers).
        var saltPrefix: [UInt8] {
            isExtendable ? [] : Array("shamir".utf8) + [UInt8(identifier >> 8), UInt8(identifier & 0xFF)]
        }

        /// PBKDF2 iterations per round: (10000 · 2ᵉ) / 4.
        var iterationsPerRound: Int {
            (MasterSecretCipher.baseIterationCount << iterationExponent) / MasterSecretCipher.roundCount
        }
    }

    private static func run(
        _ input: borrowing SecretBytes, passphrase: borrowing SecretBytes, parameters: CipherParameters,
        rounds: [Int]
    ) throws(ShareError) -> SecretBytes {
        precondition(input.count % 2 == 0 && input.count > 0, "SLIP-0039 secrets have an even length")
        let half = input.count / 2
        // state = L ‖ R; each round L ^= F(R) then the halves swap; the output is R ‖ L.
        var state = input.duplicate()
        for round in rounds {
            let roundOutput = try roundFunction(
                round: round, passphrase: passphrase, parameters: parameters, state: state, half: half)
            state.withUnsafeMutableBytes { bytes in
                roundOutput.withUnsafeBytes { f in
                    for k in 0..<half {
                        bytes[k] ^= f[k]
                    }
                }
            }
            swapHalves(&state, half: half)
        }
        swapHalves(&state, half: half)
        return state
    }

    /// F(i, R) = PBKDF2-HMAC-SHA256(password: i ‖ passphrase, salt: prefix ‖ R, iterations, length of R).
    private static func roundFunction(
        round: Int, passphrase: borrowing SecretBytes, parameters: CipherParameters,
        state: borrowing SecretBytes, half: Int
    ) throws(ShareError) -> SecretBytes {
        let password = passphrase.withUnsafeBytes { phrase in
            SecretBytes(capacity: 1 + phrase.count) { buffer in
                buffer[0] = UInt8(round)
                UnsafeMutableRawBufferPointer(rebasing: buffer[1...]).copyMemory(from: phrase)
                return 1 + phrase.count
            }
        }
        let prefix = parameters.saltPrefix
        let salt = state.withUnsafeBytes { bytes in
            SecretBytes(capacity: prefix.count + half) { buffer in
                buffer.copyBytes(from: prefix)
                UnsafeMutableRawBufferPointer(rebasing: buffer[prefix.count...])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[half...]))
                return prefix.count + half
            }
        }
        let key: SymmetricKey
        do {
            key = try password.withUnsafeBytes { passwordBytes in
                try salt.withUnsafeBytes { saltBytes in
                    try KDF.Insecure.PBKDF2.deriveKey(
                        from: passwordBytes, salt: saltBytes, using: .sha256, outputByteCount: half,
                        unsafeUncheckedRounds: parameters.iterationsPerRound)
                }
            }
        } catch {
            throw .cryptographicFailure("PBKDF2-HMAC-SHA256 failed: \(error)")
        }
        return SecretBytes(capacity: half) { buffer in
            key.withUnsafeBytes { derived in buffer.copyMemory(from: derived) }
            return half
        }
    }

    private static func swapHalves(_ state: inout SecretBytes, half: Int) {
        state.withUnsafeMutableBytes { bytes in
            for k in 0..<half {
                bytes.swapAt(k, half + k)
            }
        }
    }
}
