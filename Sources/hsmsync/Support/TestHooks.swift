import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// Fault-injection points for end-to-end tests, in the command line's progress handling (never in the
/// engine's scan). Inert unless the variable is set; documented in
/// docs/testing.md so nobody mistakes them for a feature.
///
/// `HSMSYNC_TEST_PAUSE_SCAN=HSM:COUNT:PATH` makes the inventory scan of HSM, once it has read at least
/// COUNT objects, create `PATH.paused` and wait (up to 60 s) until PATH exists. A test uses the pause
/// to kill a p11-kit server in the middle of an audit, deterministically.
///
/// `HSMSYNC_TEST_PAUSE_COPY=COUNT:PATH` makes `reconcile --apply`, once COUNT copies have finished,
/// create `PATH.paused` and wait (up to 60 s) until a stop was requested (SIGINT, SIGTERM): a test
/// interrupts a run in the middle of its copies, deterministically.
enum TestHooks {
    private struct PauseScan {
        let hsm: String
        let count: Int
        let path: String
    }

    private static let pauseScan: PauseScan? = {
        guard let value = ProcessInfo.processInfo.environment["HSMSYNC_TEST_PAUSE_SCAN"] else { return nil }
        let parts = value.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, let count = Int(parts[1]) else { return nil }
        return PauseScan(hsm: parts[0], count: count, path: parts[2])
    }()

    /// Called from a scan's progress reports (on the HSM's own thread).
    static func scanProgress(hsm: String, objectsRead: Int) {
        guard let pause = pauseScan, pause.hsm == hsm, objectsRead >= pause.count,
            !FileManager.default.fileExists(atPath: pause.path + ".paused")
        else { return }
        _ = FileManager.default.createFile(atPath: pause.path + ".paused", contents: nil)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: pause.path) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    private static let pauseCopy: (count: Int, path: String)? = {
        guard let value = ProcessInfo.processInfo.environment["HSMSYNC_TEST_PAUSE_COPY"] else { return nil }
        let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let count = Int(parts[0]) else { return nil }
        return (count, parts[1])
    }()

    /// Called when a reconcile copy has finished (on the copying task).
    static func copyFinished(done: Int, stop: StopRequest) {
        guard let pause = pauseCopy, done == pause.count else { return }
        _ = FileManager.default.createFile(atPath: pause.path + ".paused", contents: nil)
        let deadline = Date().addingTimeInterval(60)
        while stop.requested == nil && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}
