import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// Small file helpers for the log commands.
enum LogFiles {
    /// Whether a file exists at `path`.
    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Reads a small input file (policy, vkey, checkpoint); a missing file is invalid input.
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LogInputError(message: "cannot read \(path)")
        }
        return Array(data)
    }
}

/// A command-line input the log commands cannot use (exit 2).
struct LogInputError: CategorizedError {
    let message: String
    var category: FailureCategory { .invalidInput }
    var description: String { message }
}
