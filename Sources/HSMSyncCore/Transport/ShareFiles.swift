import Glibc
public import HSMSyncModel
public import SLIP39
public import SecureMemory
import SignedLog

/// The share files of a new transport key: one per custodian in one directory, each created
/// `O_CREAT|O_EXCL` with mode 0600, written and `fsync`ed, never overwriting anything.
///
/// The format is docs/custodian-shares.md's: notes on `#` lines, then the 33 words.
public struct ShareFilePlan: Sendable, Hashable {
    /// The directory the files go to.
    public let directory: String
    /// One path per custodian, in custodian order.
    public let paths: [String]

    /// The file name of custodian `number`'s share (from 1).
    public static func fileName(number: Int, count: Int) -> String {
        "transport-share-\(number)-of-\(count).txt"
    }

    /// Checks, before anything is generated, that `directory` is a directory and that none of the
    /// `count` share files exists.
    ///
    /// - Throws: ``TransportError/outputDirectoryUnusable(path:reason:)``, ``TransportError/outputExists(path:)``.
    public init(directory: String, count: Int) throws(TransportError) {
        var status = stat()
        guard stat(directory, &status) == 0 else {
            throw .outputDirectoryUnusable(path: directory, reason: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw .outputDirectoryUnusable(path: directory, reason: "not a directory")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw .outputDirectoryUnusable(path: directory, reason: "not writable")
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let paths = (1...max(count, 1)).map { base + Self.fileName(number: $0, count: count) }
        for path in paths {
            var existing = stat()
            if lstat(path, &existing) == 0 || errno != ENOENT {
                throw .outputExists(path: path)
            }
        }
        self.directory = directory
        self.paths = paths
    }

    /// Writes one file per share, each `fsync`ed, then syncs the directory.
    ///
    /// - Parameters:
    ///   - generated: the shares (in custodian order) and their public check values.
    ///   - fleet: the fleet's name, for the notes.
    /// - Returns: the paths written, in custodian order.
    /// - Throws: ``TransportError/outputExists(path:)`` if a file appeared meanwhile, or
    ///   ``TransportError/outputFailed(path:reason:)``; in both cases the files this call created
    ///   are removed again, so no share of a key that was never installed is left behind.
    public func write(_ generated: GeneratedTransportKey, fleet: String) throws(TransportError) -> [String] {
        precondition(generated.shares.count == paths.count, "one path per share")
        var written: [String] = []
        do {
            for (index, (share, path)) in zip(generated.shares, paths).enumerated() {
                let notes = Self.notes(for: share, number: index + 1, generated: generated, fleet: fleet)
                try Self.writeFile(path, notes: notes, words: share.mnemonic(), created: { written.append(path) })
            }
            let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directoryDescriptor >= 0 {
                _ = fsync(directoryDescriptor)
                close(directoryDescriptor)
            }
        } catch {
            Self.remove(written)
            throw error
        }
        return written
    }

    /// Removes share files this run wrote (when the install that should follow them failed).
    public static func remove(_ paths: [String]) {
        for path in paths {
            unlink(path)
        }
    }

    /// The `#` notes at the top of a share file (and above a share shown on screen): public facts only.
    public static func notes(for share: MnemonicShare, number: Int, generated: GeneratedTransportKey, fleet: String)
        -> String
    {
        let kcv = generated.material.kcv
        let count = generated.shares.count
        let origin = generated.generatedOn
        return """
            # hsmsync transport key share: fleet "\(printable(fleet))", \(share.metadata.description)
            # custodian \(number) of \(count); transport label "\(printable(generated.label))"; made on \
            HSM \(printable(origin.hsm)) (token serial \(printable(origin.tokenSerial)))
            # key check value \(kcv.hex) (\(kcv.words.joined(separator: " "))): not secret, compare it with the record
            # keep this file offline and readable only by you; never copy, mail or photograph the words

            """
    }

    /// Text with control characters replaced, so a name cannot break a `#` line.
    private static func printable(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
    }

    /// Creates `path` exclusively (mode 0600), writes the notes and the words (eleven per line) and
    /// syncs it. The words are copied only into a locked buffer, never into a `String`.
    private static func writeFile(
        _ path: String, notes: String, words: consuming SecretBytes, created: () -> Void
    ) throws(TransportError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw .outputExists(path: path) }
            throw .outputFailed(path: path, reason: String(cString: strerror(errno)))
        }
        created()
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else {
            throw .outputFailed(path: path, reason: "cannot set mode 0600: \(String(cString: strerror(errno)))")
        }
        let header = Array(notes.utf8)
        let content = words.withUnsafeBytes { source in
            SecretBytes(capacity: header.count + source.count + 1) { target in
                target.copyBytes(from: header)
                var offset = header.count
                var wordsOnLine = 0
                for byte in source {
                    if byte == 0x20 {
                        wordsOnLine += 1
                        target[offset] = wordsOnLine % 11 == 0 ? 0x0A : 0x20
                    } else {
                        target[offset] = byte
                    }
                    offset += 1
                }
                target[offset] = 0x0A
                return offset + 1
            }
        }
        let failure = content.withUnsafeBytes { bytes -> Int32? in
            var offset = 0
            while offset < bytes.count {
                let result = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += result
            }
            return nil
        }
        if let failure {
            throw .outputFailed(path: path, reason: String(cString: strerror(failure)))
        }
        guard fsync(descriptor) == 0 else {
            throw .outputFailed(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads a custodian's share file straight into locked memory.
public enum ShareFileReader {
    /// Share files are small; anything larger is not one.
    public static let maximumSize = 16 * 1024

    /// The file's bytes, in a ``SecretBytes`` (never a `String`).
    ///
    /// - Throws: ``TransportError/shareFileUnreadable(path:reason:)`` for a missing, unreadable,
    ///   non-regular or oversized file.
    public static func read(_ path: String) throws(TransportError) -> SecretBytes {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .shareFileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw .shareFileUnreadable(path: path, reason: "not a regular file")
        }
        guard Int(status.st_size) <= maximumSize else {
            throw .shareFileUnreadable(
                path: path, reason: "\(status.st_size) bytes is too large for a share file (at most \(maximumSize))")
        }
        var failure: Int32?
        let bytes = SecretBytes(capacity: maximumSize + 1) { buffer in
            var offset = 0
            while offset < buffer.count {
                let result = Glibc.read(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return 0
                }
                if result == 0 { break }
                offset += result
            }
            return offset
        }
        if let failure {
            throw .shareFileUnreadable(path: path, reason: String(cString: strerror(failure)))
        }
        guard bytes.count <= maximumSize else {
            throw .shareFileUnreadable(path: path, reason: "too large for a share file (at most \(maximumSize) bytes)")
        }
        return bytes
    }

    /// A warning when others than the owner may read the file (share files must be mode 0600).
    public static func permissionWarning(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & 0o077 != 0 else { return nil }
        return "\(path) is readable or writable by others (mode \(String(status.st_mode & 0o777, radix: 8))); "
            + "keep share files at mode 0600"
    }
}
