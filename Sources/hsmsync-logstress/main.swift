import Foundation
import Glibc
import HSMSyncModel
// hsmsync-logstress: test support for the audit log, never shipped.
//
//   append DIR KEY [--fault POINT] [--after N]   append forever (bulk checkpoints every 25 entries);
//                                                print "ack <seq> <leaf hex>" once each append returned;
//                                                with --fault, SIGKILL itself at POINT after N appends
//   generate DIR KEY COUNT                       COUNT entries of ~280 bytes, group commit of 250, a
//                                                checkpoint every 1,000 (the benchmark's log)
//   durable DIR KEY COUNT                        COUNT appends, one fdatasync each; prints entries/s
//   rawsync FILE COUNT                           COUNT write(300 B)+fdatasync on a plain file; prints ops/s
//   compare DIR KEY COUNT                        durable appends and raw write+fdatasync (on DIR/raw.bin),
//                                                alternated in 20 rounds so both see the same disk; prints both rates
@_spi(Testing) import SignedLog
import Synchronization

let arguments = CommandLine.arguments
let actor = AuditActor(id: "stress@test", role: "test", auth: "none")

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func draft(_ index: Int) -> AuditEntryDraft {
    // About 285 bytes per line once `log` (a 52-character origin), `seq`, `prev` and `time` are added.
    AuditEntryDraft(
        action: "key.sync", actor: AuditActor(id: "svc"), outputs: ["key": .string(String(index, radix: 16))])
}

/// Writes a line to stdout at once (the parent reads acknowledgements as they happen).
func say(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}

func openOrCreate(_ directory: String, _ keyPath: String, _ configuration: AuditLog.Configuration) async throws
    -> AuditLog
{
    let signer = try FileKeySigner(path: keyPath)
    if FileManager.default.fileExists(atPath: directory + "/entries.jsonl") {
        return try await AuditLog.open(directory: directory, signer: signer, actor: actor, configuration: configuration)
    }
    return try await AuditLog.create(
        directory: directory, origin: signer.keyName, signer: signer, actor: actor, configuration: configuration)
}

func faultPoint(_ name: String) -> AuditLog.FaultPoint {
    switch name {
    case "afterPartialWrite": .afterPartialWrite
    case "beforeDataSync": .beforeDataSync
    case "beforeNoteRename": .beforeNoteRename
    case "beforeNoteDirectorySync": .beforeNoteDirectorySync
    case "beforeLatestCopy": .beforeLatestCopy
    case "beforeAnchorUpdate": .beforeAnchorUpdate
    default: fail("unknown fault point \(name)")
    }
}

/// Counts appends and kills the process at the chosen point once the count is reached.
final class FaultTrigger: Sendable {
    let point: AuditLog.FaultPoint
    let after: Int
    let seen = Mutex(0)

    init(point: AuditLog.FaultPoint, after: Int) {
        self.point = point
        self.after = after
    }

    func hit(_ reached: AuditLog.FaultPoint) {
        guard reached == point else { return }
        let count = seen.withLock { value -> Int in
            value += 1
            return value
        }
        if count > after { kill(getpid(), SIGKILL) }
    }
}

guard arguments.count >= 4 || (arguments.count >= 3 && arguments[1] == "rawsync") else {
    fail("usage: hsmsync-logstress append|generate|durable DIR KEY … | rawsync FILE COUNT")
}

switch arguments[1] {
case "append":
    var configuration = AuditLog.Configuration(checkpointPolicy: .bulk(entries: 25, interval: .seconds(3600)))
    if let index = arguments.firstIndex(of: "--fault") {
        let after = arguments.firstIndex(of: "--after").map { Int(arguments[$0 + 1]) ?? 0 } ?? 0
        let trigger = FaultTrigger(point: faultPoint(arguments[index + 1]), after: after)
        configuration.faultInjection = { trigger.hit($0) }
    }
    let log = try await openOrCreate(arguments[2], arguments[3], configuration)
    say("ready \(await log.size) \(await log.signedSize)")
    var index = 0
    while true {
        let receipt = try await log.append(draft(index))
        say("ack \(receipt.seq) \(receipt.leafHash.hex)")
        index += 1
    }
case "generate":
    guard let count = Int(arguments[4]) else { fail("COUNT") }
    let log = try await openOrCreate(
        arguments[2], arguments[3],
        AuditLog.Configuration(checkpointPolicy: .bulk(entries: 1000, interval: .seconds(3600))))
    let start = ContinuousClock.now
    var written = Int(await log.size)
    while written < count {
        let batch = (written..<min(count, written + 250)).map(draft)
        try await log.append(contentsOf: batch)
        written += batch.count
    }
    try await log.close()
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    say(
        "generated \(count) entries in \(String(format: "%.2f", seconds)) s (\(Int(Double(count) / seconds)) entries/s)"
    )
case "durable":
    guard let count = Int(arguments[4]) else { fail("COUNT") }
    let log = try await openOrCreate(arguments[2], arguments[3], AuditLog.Configuration())
    // Off the main actor, as a command's task runs: no thread hop per call.
    let seconds = try await Task.detached {
        let start = ContinuousClock.now
        for index in 0..<count { try await log.append(draft(index)) }
        return (ContinuousClock.now - start) / .seconds(1)
    }.value
    try await log.close()
    say("durable_appends_per_s \(Int(Double(count) / seconds))")
case "compare":
    guard let count = Int(arguments[4]) else { fail("COUNT") }
    let log = try await openOrCreate(arguments[2], arguments[3], AuditLog.Configuration())
    let rawPath = arguments[2] + "/raw.bin"
    let rounds = 20
    let perRound = max(1, count / rounds)
    let (durableSeconds, rawSeconds) = try await Task.detached {
        let fd = open(rawPath, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0o644)
        guard fd >= 0 else { fail("cannot open \(rawPath)") }
        defer { close(fd) }
        let line = [UInt8](repeating: 0x61, count: 299) + [0x0A]
        var durable = Duration.zero
        var raw = Duration.zero
        var index = 0
        for _ in 0..<rounds {
            var start = ContinuousClock.now
            for _ in 0..<perRound {
                try await log.append(draft(index))
                index += 1
            }
            durable += ContinuousClock.now - start
            start = ContinuousClock.now
            for _ in 0..<perRound {
                _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                guard fdatasync(fd) == 0 else { fail("fdatasync failed") }
            }
            raw += ContinuousClock.now - start
        }
        return (durable / .seconds(1), raw / .seconds(1))
    }.value
    try await log.close()
    let total = Double(rounds * perRound)
    say("durable_appends_per_s \(Int(total / durableSeconds)) raw_write_fdatasync_per_s \(Int(total / rawSeconds))")
case "rawsync":
    guard arguments.count >= 4, let count = Int(arguments[3]) else { fail("rawsync FILE COUNT") }
    let fd = open(arguments[2], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot open \(arguments[2])") }
    let line = [UInt8](repeating: 0x61, count: 299) + [0x0A]
    let start = ContinuousClock.now
    for _ in 0..<count {
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard fdatasync(fd) == 0 else { fail("fdatasync failed") }
    }
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    close(fd)
    say("raw_write_fdatasync_per_s \(Int(Double(count) / seconds))")
default:
    fail("unknown mode \(arguments[1])")
}
