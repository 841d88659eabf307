import Crypto
import CryptoExtras
import Foundation
public import HSMSyncModel
import SecureMemory
import SwiftASN1

extension StandInMaterial {
    /// Fresh material for a stand-in of `record`, made on the host: an AES key of its size, an EC key
    /// on its curve (P-256, P-384, P-521), an RSA key of its modulus size (≥ 2048 bits, exponent
    /// 65537). `nil` for any other type: the scratch token then generates the stand-in itself, and
    /// copies of it on several scratch tokens cannot share material.
    public static func generate(for record: KeyRecord) throws -> StandInMaterial? {
        switch (record.objectClass, record.keyType) {
        case ("secret-key", "aes"):
            let count = (record.size ?? 256) / 8
            guard [16, 24, 32].contains(count) else { return nil }
            return .secret(SecretBox(random(count)))
        case ("private-key", "ec"):
            switch record.curve {
            case "P-256":
                let key = P256.Signing.PrivateKey()
                return .ec(scalar: box(key.rawRepresentation), point: Array(key.publicKey.x963Representation))
            case "P-384":
                let key = P384.Signing.PrivateKey()
                return .ec(scalar: box(key.rawRepresentation), point: Array(key.publicKey.x963Representation))
            case "P-521":
                let key = P521.Signing.PrivateKey()
                return .ec(scalar: box(key.rawRepresentation), point: Array(key.publicKey.x963Representation))
            default:
                return nil
            }
        case ("private-key", "rsa"):
            guard let bits = record.size, bits >= 2048, bits % 8 == 0 else { return nil }
            return try rsa(_RSA.Signing.PrivateKey(keySize: .init(bitCount: bits)))
        default:
            return nil
        }
    }

    /// The parts of a PKCS#1 `RSAPrivateKey` (version, n, e, d, p, q, dp, dq, qinv).
    private static func rsa(_ key: _RSA.Signing.PrivateKey) throws -> StandInMaterial {
        let der = key.derRepresentation
        let integers = try DER.sequence(DER.parse(Array(der)), identifier: .sequence) { nodes in
            var integers: [ArraySlice<UInt8>] = []
            while let node = nodes.next() { integers.append(try ArraySlice<UInt8>(derEncoded: node)) }
            return integers
        }
        guard integers.count == 9 else { throw ASN1Error.invalidASN1Object(reason: "RSAPrivateKey: 9 integers") }
        let magnitudes = integers.map { Array($0.drop { $0 == 0 }) }
        return .rsa(
            modulus: magnitudes[1], publicExponent: magnitudes[2],
            privateParts: magnitudes[3...].map { SecretBox(SecretBytes(copying: $0)) })
    }

    private static func box(_ data: Data) -> SecretBox {
        SecretBox(SecretBytes(copying: data))
    }

    /// `count` random bytes in a secret buffer.
    static func random(_ count: Int) -> SecretBytes {
        SecretBytes(capacity: count) { buffer in
            var generator = SystemRandomNumberGenerator()
            for index in 0..<count { buffer[index] = generator.next() }
            return count
        }
    }
}
