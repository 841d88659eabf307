import Foundation
import HSMSyncModel
public import Logging
import Synchronization

/// One JSON object per line on stderr, for log shippers: `time`, `level`, `label`, `message`, and
/// the metadata as string members. Nothing secret is ever logged, so nothing is filtered here.
public struct JSONLineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private static let output = Mutex(FileHandle.standardError)

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: JSONValue] = [
            "time": .string(RFC3339.milliseconds.string(from: Date())), "level": .string(event.level.rawValue),
            "label": .string(label), "message": .string("\(event.message)"),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new })
        where object[key] == nil {
            object[key] = .string("\(value)")
        }
        let line = CanonicalJSON.encode(.object(object)) + [UInt8(ascii: "\n")]
        Self.output.withLock { $0.write(Data(line)) }
    }
}
