import Foundation
import Glibc
public import SecureMemory

extension PINSource {
    /// Checks, without reading the PIN, that the source can deliver one: the variable is set and
    /// not empty, the file exists with safe permissions. Runs before any module is loaded.
    public func preflight(hsm: String) throws(PINSourceError) {
        switch self {
        case .environment(let name):
            guard let value = getenv(name), value.pointee != 0 else {
                throw .environmentVariableMissing(name: name, hsm: hsm)
            }
        case .file(let path):
            _ = try Self.checkedFile(path, hsm: hsm)
        case .prompt:
            break
        }
    }

    /// Reads the PIN into a wiped, locked buffer: from the environment or a file. A `prompt` source
    /// needs a terminal, which only a front end has (its ``PINProvider`` asks).
    public func read(hsm: String) throws(PINSourceError) -> PIN {
        switch self {
        case .environment(let name):
            guard let value = getenv(name) else {
                throw .environmentVariableMissing(name: name, hsm: hsm)
            }
            let length = strnlen(value, Self.maximumLength + 1)
            guard length > 0, length <= Self.maximumLength else {
                throw .environmentVariableMissing(name: name, hsm: hsm)
            }
            return PIN(
                SecretBytes(capacity: length) { buffer in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(start: value, count: length))
                    return length
                })
        case .file(let path):
            let descriptor = try Self.checkedFile(path, hsm: hsm)
            defer { close(descriptor) }
            var failed = false
            var secret = SecretBytes(capacity: Self.maximumLength + 2) { buffer in
                let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
                if count < 0 { failed = true }
                return max(count, 0)
            }
            guard !failed else { throw .fileUnreadable(path: path, hsm: hsm, reason: String(cString: strerror(errno))) }
            // The first line is the PIN; a trailing newline (or CR LF) is not part of it.
            let lineLength = secret.withUnsafeBytes { bytes in
                bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) ?? bytes.count
            }
            secret.truncate(to: lineLength)
            guard secret.count > 0, secret.count <= Self.maximumLength else {
                throw .fileUnreadable(path: path, hsm: hsm, reason: "the first line must hold the PIN (1 to 256 bytes)")
            }
            return PIN(secret)
        case .prompt:
            throw .promptFailed(hsm: hsm, reason: "no terminal to prompt on (a prompt source needs the command line)")
        }
    }

    /// Opens a PIN file after checking that it is a regular file nobody but its owner can read.
    private static func checkedFile(_ path: String, hsm: String) throws(PINSourceError) -> Int32 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw .fileUnreadable(path: path, hsm: hsm, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw .fileUnreadable(path: path, hsm: hsm, reason: "not a regular file")
        }
        guard status.st_mode & 0o077 == 0 else {
            close(descriptor)
            throw .fileTooOpen(path: path, hsm: hsm, mode: String(status.st_mode & 0o777, radix: 8))
        }
        return descriptor
    }
}

/// A PIN source that cannot deliver. Messages name the source, never a PIN.
public enum PINSourceError: CategorizedError, Hashable {
    case environmentVariableMissing(name: String, hsm: String)
    case fileUnreadable(path: String, hsm: String, reason: String)
    case fileTooOpen(path: String, hsm: String, mode: String)
    case promptFailed(hsm: String, reason: String)

    public var category: FailureCategory { .invalidInput }

    public var description: String {
        switch self {
        case .environmentVariableMissing(let name, let hsm):
            return "PIN for \(hsm): environment variable \(name) is not set or empty"
        case .fileUnreadable(let path, let hsm, let reason):
            return "PIN for \(hsm): cannot read \(path): \(reason)"
        case .fileTooOpen(let path, let hsm, let mode):
            return "PIN for \(hsm): \(path) has mode \(mode); a PIN file must be readable by its owner only (chmod 600)"
        case .promptFailed(let hsm, let reason):
            return "PIN for \(hsm): \(reason)"
        }
    }
}

/// PINs from the fleet file's `env:` and `file:` sources, for front ends without a terminal (the
/// service, tests); a `prompt` source is refused with a clear error.
public struct SourcePINs: PINProvider {
    public init() {}

    public func pin(for hsm: HSMConfiguration, token: TokenDescription) async throws(HSMError) -> PIN {
        do {
            return try hsm.pin.read(hsm: hsm.name)
        } catch {
            throw HSMError(hsm: hsm.name, .pinUnavailable(reason: error.description))
        }
    }
}
