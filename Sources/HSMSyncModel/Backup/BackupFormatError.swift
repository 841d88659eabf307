/// Why a file is not a usable backup bundle. Offsets are byte offsets from the start of the file.
///
/// A damaged bundle (a changed byte anywhere, a bad signature, sections that contradict each other)
/// is an integrity failure (exit 1); a file that is not a bundle, is cut short or cannot be read,
/// or uses a format version this hsmsync does not know, is invalid input (exit 2).
public enum BackupFormatError: CategorizedError, Hashable {
    /// The file cannot be read.
    case unreadable(path: String, reason: String)
    /// The file does not start like a bundle (and its header does not prove it was one).
    case notABundle(path: String, reason: String)
    /// The file ends before the length its intact header declares.
    case truncated(path: String, size: Int, expected: Int)
    /// A format version this hsmsync cannot read.
    case unsupportedVersion(path: String, version: Int)
    /// Bytes that contradict the format or the header check (a changed or inserted byte).
    case damaged(path: String, offset: Int, reason: String)
    /// The signature does not verify, or is not by the expected key.
    case badSignature(path: String, offset: Int, reason: String)
    /// A section whose content contradicts the format or another section.
    case inconsistent(path: String, offset: Int, reason: String)

    public var category: FailureCategory {
        switch self {
        case .unreadable, .notABundle, .truncated, .unsupportedVersion: return .invalidInput
        case .damaged, .badSignature, .inconsistent: return .integrity
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot be read: \(reason)"
        case .notABundle(let path, let reason):
            return "\(path): not an hsmsync backup bundle (\(reason))"
        case .truncated(let path, let size, let expected):
            return "\(path): truncated: the file has \(size) bytes, its header declares \(expected)"
        case .unsupportedVersion(let path, let version):
            return "\(path): bundle format version \(version) is not supported by this hsmsync (it reads version 1)"
        case .damaged(let path, let offset, let reason):
            return "\(path): damaged at byte offset \(offset): \(reason)"
        case .badSignature(let path, let offset, let reason):
            return "\(path): signature (byte offset \(offset)): \(reason)"
        case .inconsistent(let path, let offset, let reason):
            return "\(path): inconsistent section at byte offset \(offset): \(reason)"
        }
    }

    /// The byte offset the error points at, when it points at one.
    public var offset: Int? {
        switch self {
        case .damaged(_, let offset, _), .badSignature(_, let offset, _), .inconsistent(_, let offset, _): offset
        default: nil
        }
    }
}
