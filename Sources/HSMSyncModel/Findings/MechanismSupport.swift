/// What a token offers for one relied-upon mechanism.
public struct MechanismSupport: Sendable, Hashable, Codable {
    /// The spec name, `CKM_AES_KEY_WRAP`.
    public let name: String
    public let purpose: String
    /// Whether `C_GetMechanismList` lists it.
    public let available: Bool
    /// Its `CKF_*` flags (`wrap`, `unwrap`, `derive`, …), empty when unavailable.
    public let flags: [String]
    /// Whether the flags cover what hsmsync needs it for.
    public let sufficient: Bool
    public let keySizes: KeySizes?

    /// `ulMinKeySize`…`ulMaxKeySize` as the token reports them.
    public struct KeySizes: Sendable, Hashable, Codable {
        public let minimum: UInt
        public let maximum: UInt

        package init(minimum: UInt, maximum: UInt) {
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    package init(name: String, purpose: String, available: Bool, flags: [String], sufficient: Bool, keySizes: KeySizes?)
    {
        self.name = name
        self.purpose = purpose
        self.available = available
        self.flags = flags
        self.sufficient = sufficient
        self.keySizes = keySizes
    }
}
