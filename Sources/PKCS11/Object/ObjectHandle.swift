internal import CPKCS11

/// An object handle (`CK_OBJECT_HANDLE`). Valid only inside the process and session scope that
/// found it: handles never leave their worker, domain code names keys by identity instead.
public struct ObjectHandle: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    public var description: String { "object#\(rawValue)" }
}
