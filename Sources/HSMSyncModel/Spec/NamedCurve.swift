/// Named curves, by the DER of their OID in `CKA_EC_PARAMS`.
package struct NamedCurve: Sendable, Hashable {
    package let name: String
    package let bits: Int
    /// Length of a raw public point: uncompressed `04 ‖ X ‖ Y` for Weierstrass curves, the encoded
    /// key for Edwards curves.
    package let pointLength: Int
    /// DER of the curve OID (what SPKI's AlgorithmIdentifier carries).
    package let oidDER: [UInt8]
    package let isEdwards: Bool

    package static let all: [NamedCurve] = [
        NamedCurve(
            name: "P-256", bits: 256, pointLength: 65,
            oidDER: [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], isEdwards: false),
        NamedCurve(
            name: "P-384", bits: 384, pointLength: 97, oidDER: [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
            isEdwards: false),
        NamedCurve(
            name: "P-521", bits: 521, pointLength: 133, oidDER: [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
            isEdwards: false),
        NamedCurve(
            name: "secp256k1", bits: 256, pointLength: 65, oidDER: [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a],
            isEdwards: false),
        NamedCurve(
            name: "Ed25519", bits: 256, pointLength: 32, oidDER: [0x06, 0x03, 0x2b, 0x65, 0x70], isEdwards: true),
        NamedCurve(name: "Ed448", bits: 456, pointLength: 57, oidDER: [0x06, 0x03, 0x2b, 0x65, 0x71], isEdwards: true),
    ]

    /// The curve named by `CKA_EC_PARAMS`: an OID, or for Edwards keys the printable-string form.
    package static func from(ecParams: [UInt8]) -> NamedCurve? {
        if let curve = all.first(where: { $0.oidDER == ecParams }) { return curve }
        // PKCS#11 3.0 allows PrintableString "edwards25519" / "edwards448".
        if ecParams.first == 0x13 {
            let text = String(decoding: ecParams.dropFirst(2), as: UTF8.self)
            if text == "edwards25519" { return all.first { $0.name == "Ed25519" } }
            if text == "edwards448" { return all.first { $0.name == "Ed448" } }
        }
        return nil
    }

    /// The raw point from `CKA_EC_POINT`, which tokens give either DER-wrapped in an OCTET STRING
    /// (SoftHSM2) or raw; the curve's point length tells the two apart.
    package func rawPoint(from ecPoint: [UInt8]) -> [UInt8]? {
        if ecPoint.count == pointLength, isEdwards || ecPoint.first == 0x04 {
            return ecPoint
        }
        if ecPoint.count == pointLength + 2, ecPoint[0] == 0x04, Int(ecPoint[1]) == pointLength {
            return Array(ecPoint.dropFirst(2))
        }
        if ecPoint.count == pointLength + 3, ecPoint[0] == 0x04, ecPoint[1] == 0x81, Int(ecPoint[2]) == pointLength {
            return Array(ecPoint.dropFirst(3))
        }
        return nil
    }

    package init(name: String, bits: Int, pointLength: Int, oidDER: [UInt8], isEdwards: Bool) {
        self.name = name
        self.bits = bits
        self.pointLength = pointLength
        self.oidDER = oidDER
        self.isEdwards = isEdwards
    }
}
