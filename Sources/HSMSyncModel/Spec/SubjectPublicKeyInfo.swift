import Crypto
import SwiftASN1

/// DER SubjectPublicKeyInfo (RFC 5280) built from a key's public PKCS#11 attributes, so public keys,
/// RSA private keys and paired EC private keys get the same fingerprint on every HSM.
package enum SubjectPublicKeyInfo {
    private static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 1]
    private static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10_045, 2, 1]

    /// `SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { RSAPublicKey } }`.
    package static func rsa(modulus: [UInt8], publicExponent: [UInt8]) throws -> [UInt8] {
        var key = DER.Serializer()
        try key.appendConstructedNode(identifier: .sequence) { sequence in
            try sequence.serialize(ArraySlice(unsignedInteger(modulus)))
            try sequence.serialize(ArraySlice(unsignedInteger(publicExponent)))
        }
        return try wrap(
            algorithm: { sequence in
                try sequence.serialize(rsaEncryption)
                try sequence.serialize(ASN1Null())
            }, key: key.serializedBytes)
    }

    /// EC (`id-ecPublicKey` with the named curve) or Edwards (the curve OID alone, RFC 8410).
    package static func ec(curve: NamedCurve, rawPoint: [UInt8]) throws -> [UInt8] {
        try wrap(
            algorithm: { sequence in
                if curve.isEdwards {
                    sequence.serializeRawBytes(curve.oidDER)
                } else {
                    try sequence.serialize(ecPublicKey)
                    sequence.serializeRawBytes(curve.oidDER)
                }
            }, key: rawPoint)
    }

    /// The fingerprint: lowercase hex SHA-256 of the DER.
    package static func fingerprint(_ der: [UInt8]) -> String {
        SHA256.hash(data: der).hexString
    }

    private static func wrap(algorithm: (inout DER.Serializer) throws -> Void, key: [UInt8]) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { outer in
            try outer.appendConstructedNode(identifier: .sequence) { try algorithm(&$0) }
            try outer.serialize(ASN1BitString(bytes: ArraySlice(key)))
        }
        return serializer.serializedBytes
    }

    /// A big-endian magnitude without superfluous leading zeros (SwiftASN1 serialises unsigned
    /// integers and adds the zero byte a set top bit needs).
    private static func unsignedInteger(_ magnitude: [UInt8]) -> [UInt8] {
        let bytes = Array(magnitude.drop(while: { $0 == 0 }))
        return bytes.isEmpty ? [0] : bytes
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex (``Hex/encode(_:)``).
    package var hexString: String { Hex.encode(self) }
}
