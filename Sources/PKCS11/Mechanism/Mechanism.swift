internal import CPKCS11

/// A mechanism with its parameter (`CK_MECHANISM`).
public struct Mechanism: Hashable, Sendable, CustomStringConvertible {
    public let type: MechanismType
    public let parameter: Parameter

    /// The parameter structures hsmsync uses.
    public enum Parameter: Hashable, Sendable {
        /// No parameter.
        case none
        /// Raw parameter bytes (an IV, for example).
        case bytes([UInt8])
        /// `CK_RSA_PKCS_OAEP_PARAMS` with an empty or given label (`CKZ_DATA_SPECIFIED`).
        case rsaOAEP(hash: MechanismType, mgf: MaskGenerationFunction, label: [UInt8])
        /// `CK_ECDH1_DERIVE_PARAMS`: key derivation function, shared data, the peer's public point.
        case ecdh1Derive(kdf: KeyDerivationFunction, sharedData: [UInt8], publicData: [UInt8])
    }

    public init(_ type: MechanismType, parameter: Parameter = .none) {
        self.type = type
        self.parameter = parameter
    }

    /// `CKM_AES_KEY_WRAP`.
    public static let aesKeyWrap = Mechanism(.aesKeyWrap)
    /// `CKM_AES_KEY_WRAP_PAD`.
    public static let aesKeyWrapPad = Mechanism(.aesKeyWrapPad)
    /// `CKM_AES_CMAC`.
    public static let aesCMAC = Mechanism(.aesCMAC)
    /// `CKM_AES_ECB`.
    public static let aesECB = Mechanism(.aesECB)
    /// `CKM_AES_KEY_GEN`.
    public static let aesKeyGen = Mechanism(.aesKeyGen)
    /// `CKM_EC_KEY_PAIR_GEN`.
    public static let ecKeyPairGen = Mechanism(.ecKeyPairGen)
    /// `CKM_EC_EDWARDS_KEY_PAIR_GEN`.
    public static let ecEdwardsKeyPairGen = Mechanism(.ecEdwardsKeyPairGen)
    /// `CKM_RSA_PKCS_KEY_PAIR_GEN`.
    public static let rsaKeyPairGen = Mechanism(.rsaPKCSKeyPairGen)
    /// `CKM_ECDSA`.
    public static let ecdsa = Mechanism(.ecdsa)
    /// `CKM_EDDSA` (pure Ed25519, no parameter).
    public static let eddsa = Mechanism(.eddsa)

    /// `CKM_RSA_PKCS_OAEP` with SHA-1 and MGF1-SHA1, the only OAEP SoftHSM2 2.6.1 accepts.
    public static let rsaOAEPSHA1 = Mechanism(.rsaPKCSOAEP, parameter: .rsaOAEP(hash: .sha1, mgf: .mgf1SHA1, label: []))
    /// `CKM_RSA_PKCS_OAEP` with SHA-256 and MGF1-SHA256.
    public static let rsaOAEPSHA256 = Mechanism(
        .rsaPKCSOAEP, parameter: .rsaOAEP(hash: .sha256, mgf: .mgf1SHA256, label: []))

    /// `CKM_ECDH1_DERIVE` against a peer's public point.
    public static func ecdh1Derive(
        peerPoint: [UInt8], kdf: KeyDerivationFunction = .null, sharedData: [UInt8] = []
    ) -> Mechanism {
        Mechanism(.ecdh1Derive, parameter: .ecdh1Derive(kdf: kdf, sharedData: sharedData, publicData: peerPoint))
    }

    public var description: String { type.description }
}

/// A mask generation function for OAEP (`CK_RSA_PKCS_MGF_TYPE`).
public struct MaskGenerationFunction: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    /// `CKG_MGF1_SHA1`.
    public static let mgf1SHA1 = MaskGenerationFunction(rawValue: UInt(CKG_MGF1_SHA1))
    /// `CKG_MGF1_SHA256`.
    public static let mgf1SHA256 = MaskGenerationFunction(rawValue: UInt(CKG_MGF1_SHA256))
}

/// A key derivation function for ECDH (`CK_EC_KDF_TYPE`).
public struct KeyDerivationFunction: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    /// `CKD_NULL`: the raw shared secret (the only KDF SoftHSM2 2.6.1 offers).
    public static let null = KeyDerivationFunction(rawValue: UInt(CKD_NULL))
    /// `CKD_SHA256_KDF`.
    public static let sha256 = KeyDerivationFunction(rawValue: UInt(CKD_SHA256_KDF))
}

/// Lays a mechanism and its parameter structure out in memory that lives as long as `body`.
func withCMechanism<R, E: Error>(
    _ mechanism: Mechanism, _ body: (UnsafeMutablePointer<CK_MECHANISM>) throws(E) -> R
) throws(E) -> R {
    var allocations: [UnsafeMutableRawPointer] = []
    defer { allocations.forEach { $0.deallocate() } }
    func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<CK_BYTE>? {
        guard !bytes.isEmpty else { return nil }
        let pointer = UnsafeMutablePointer<CK_BYTE>.allocate(capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    let cMechanism = UnsafeMutablePointer<CK_MECHANISM>.allocate(capacity: 1)
    allocations.append(UnsafeMutableRawPointer(cMechanism))
    cMechanism.pointee = CK_MECHANISM(
        mechanism: CK_MECHANISM_TYPE(mechanism.type.rawValue), pParameter: nil, ulParameterLen: 0)
    switch mechanism.parameter {
    case .none:
        break
    case .bytes(let bytes):
        cMechanism.pointee.pParameter = UnsafeMutableRawPointer(copy(bytes))
        cMechanism.pointee.ulParameterLen = CK_ULONG(bytes.count)
    case .rsaOAEP(let hash, let mgf, let label):
        let parameters = UnsafeMutablePointer<CK_RSA_PKCS_OAEP_PARAMS>.allocate(capacity: 1)
        allocations.append(UnsafeMutableRawPointer(parameters))
        parameters.pointee = CK_RSA_PKCS_OAEP_PARAMS(
            hashAlg: CK_MECHANISM_TYPE(hash.rawValue), mgf: CK_RSA_PKCS_MGF_TYPE(mgf.rawValue),
            source: CK_RSA_PKCS_OAEP_SOURCE_TYPE(CKZ_DATA_SPECIFIED),
            pSourceData: UnsafeMutableRawPointer(copy(label)), ulSourceDataLen: CK_ULONG(label.count))
        cMechanism.pointee.pParameter = UnsafeMutableRawPointer(parameters)
        cMechanism.pointee.ulParameterLen = CK_ULONG(MemoryLayout<CK_RSA_PKCS_OAEP_PARAMS>.size)
    case .ecdh1Derive(let kdf, let sharedData, let publicData):
        let parameters = UnsafeMutablePointer<CK_ECDH1_DERIVE_PARAMS>.allocate(capacity: 1)
        allocations.append(UnsafeMutableRawPointer(parameters))
        parameters.pointee = CK_ECDH1_DERIVE_PARAMS(
            kdf: ck_ec_kdf_t(kdf.rawValue), ulSharedDataLen: CK_ULONG(sharedData.count),
            pSharedData: copy(sharedData), ulPublicDataLen: CK_ULONG(publicData.count),
            pPublicData: copy(publicData))
        cMechanism.pointee.pParameter = UnsafeMutableRawPointer(parameters)
        cMechanism.pointee.ulParameterLen = CK_ULONG(MemoryLayout<CK_ECDH1_DERIVE_PARAMS>.size)
    }
    return try body(cMechanism)
}
