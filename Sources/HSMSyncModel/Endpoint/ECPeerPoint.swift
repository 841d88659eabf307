import Crypto
import Foundation

/// The curves hsmsync agrees transport keys on: P-384 where both HSMs offer it (AES-256 at full
/// strength, SECURITY.md R8), P-256 at least.
public enum AgreementCurve: String, Sendable, Hashable, Codable, CaseIterable {
    case p256 = "P-256"
    case p384 = "P-384"

    /// The curve size in bits (what `CK_MECHANISM_INFO` key sizes count for EC).
    public var bits: UInt {
        switch self {
        case .p256: return 256
        case .p384: return 384
        }
    }

    /// `CKA_EC_PARAMS`: the DER of the curve's OID.
    public var ecParams: [UInt8] { curve.oidDER }

    package var curve: NamedCurve { NamedCurve.all.first { $0.name == rawValue }! }
}

/// Validates a peer HSM's ephemeral public point on the host before any `C_DeriveKey` uses it
/// (SECURITY.md R11, T25): the right curve, a well-formed uncompressed point, on the curve, not
/// the point at infinity.
public enum ECPeerPoint {
    /// Checks `ecPoint` (as `CKA_EC_POINT` gives it: DER OCTET STRING or raw) for `curve`.
    ///
    /// - Parameters:
    ///   - ecPoint: the peer's `CKA_EC_POINT`.
    ///   - ecParams: the peer's `CKA_EC_PARAMS`, when read; it must name `curve`.
    ///   - curve: the agreed curve.
    ///   - hsm: the peer's name, for the message.
    /// - Returns: the point in uncompressed X9.63 form (`04 ‖ X ‖ Y`), re-encoded by swift-crypto,
    ///   to pass to `CKM_ECDH1_DERIVE`.
    /// - Throws: ``TransportError/invalidPeerPoint(hsm:reason:)``.
    public static func validate(ecPoint: [UInt8], ecParams: [UInt8]?, curve: AgreementCurve, hsm: String)
        throws(TransportError) -> [UInt8]
    {
        if let ecParams, ecParams != curve.ecParams {
            let named = NamedCurve.from(ecParams: ecParams)?.name ?? "an unknown curve"
            throw .invalidPeerPoint(hsm: hsm, reason: "the key is on \(named), not \(curve.rawValue)")
        }
        if ecPoint == [0x00] || ecPoint == [0x04, 0x01, 0x00] {
            throw .invalidPeerPoint(hsm: hsm, reason: "it is the point at infinity")
        }
        guard let raw = ecPoint.count == curve.curve.pointLength ? ecPoint : curve.curve.rawPoint(from: ecPoint) else {
            throw .invalidPeerPoint(
                hsm: hsm,
                reason: "\(ecPoint.count) bytes are not an uncompressed \(curve.rawValue) point "
                    + "(\(curve.curve.pointLength) bytes, raw or in a DER OCTET STRING)")
        }
        guard raw.first == 0x04 else {
            throw .invalidPeerPoint(hsm: hsm, reason: "the point is not in uncompressed form")
        }
        if raw.dropFirst().allSatisfy({ $0 == 0 }) {
            throw .invalidPeerPoint(hsm: hsm, reason: "it is the point (0, 0), used for the point at infinity")
        }
        do {
            switch curve {
            case .p256:
                return Array(try P256.KeyAgreement.PublicKey(x963Representation: raw).x963Representation)
            case .p384:
                return Array(try P384.KeyAgreement.PublicKey(x963Representation: raw).x963Representation)
            }
        } catch {
            throw .invalidPeerPoint(hsm: hsm, reason: "the point is not on \(curve.rawValue)")
        }
    }
}
