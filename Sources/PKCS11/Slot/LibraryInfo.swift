internal import CPKCS11

/// What a module says about itself (`CK_INFO`).
public struct LibraryInfo: Hashable, Sendable {
    public let cryptokiVersion: Version
    public let manufacturer: String
    public let description: String
    public let libraryVersion: Version

    init(_ raw: CK_INFO) {
        cryptokiVersion = Version(raw.cryptokiVersion)
        manufacturer = fixedString(raw.manufacturerID)
        description = fixedString(raw.libraryDescription)
        libraryVersion = Version(raw.libraryVersion)
    }
}

/// A `CK_VERSION`.
public struct Version: Hashable, Sendable, CustomStringConvertible {
    public let major: UInt8
    public let minor: UInt8

    init(_ raw: CK_VERSION) {
        major = raw.major
        minor = raw.minor
    }

    public init(major: UInt8, minor: UInt8) {
        self.major = major
        self.minor = minor
    }

    public var description: String { "\(major).\(minor)" }
}
