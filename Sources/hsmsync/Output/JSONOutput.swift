import HSMSyncModel

/// The one way commands print `--json`: a single document, stable key order, RFC 3339 dates.
enum JSONOutput {
    /// Prints `value` as the only thing on stdout.
    static func print(_ value: some Encodable) throws {
        var bytes = try StreamingJSONEncoder().encode(value)
        bytes.append(UInt8(ascii: "\n"))
        Console.write(bytes)
    }
}
