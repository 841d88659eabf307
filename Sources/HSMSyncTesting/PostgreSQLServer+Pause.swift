import Foundation
import Glibc

/// A server that stops answering without closing its connections: every process of it stopped
/// with SIGSTOP, as a paused virtual machine or a network stall looks to a client (nothing is
/// reset; TCP waits).
extension PostgreSQLServer {
    /// Stops the postmaster first (so it starts no new backend), then each of its children.
    /// Only on a server of one's own, never on ``shared``.
    public func pause() async throws {
        let postmaster = try await postmaster()
        kill(postmaster, SIGSTOP)
        for child in Self.children(of: postmaster) { kill(child, SIGSTOP) }
    }

    /// Lets every process of a paused server go on.
    public func resume() async throws {
        let postmaster = try await postmaster()
        for child in Self.children(of: postmaster) { kill(child, SIGCONT) }
        kill(postmaster, SIGCONT)
    }

    private func postmaster() async throws -> pid_t {
        let running = try await started()
        let pidFile = running.directory + "/data/postmaster.pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let postmaster = text.split(separator: "\n").first.flatMap({ pid_t($0) })
        else {
            throw PostgreSQLServerError.failed("no postmaster.pid in \(running.directory)/data: is the server running?")
        }
        return postmaster
    }

    /// The processes whose parent is `parent` (from `/proc`).
    private static func children(of parent: pid_t) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap {
            entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After the command's closing parenthesis: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }
}
