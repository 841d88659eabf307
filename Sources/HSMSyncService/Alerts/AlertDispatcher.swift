import AsyncHTTPClient
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1

/// Delivers alerts to the webhooks, each delivery recorded in the database and retried with
/// backoff, on tasks of its own: a webhook that is down or slow never holds up an audit.
public final class AlertDispatcher: Sendable {
    let targets: [URL]
    let store: StateStore
    let instance: String
    let logger: Logger
    /// Delays before the second, third, … attempt.
    let backoff: [Duration]

    public init(
        targets: [URL], store: StateStore, instance: String, logger: Logger,
        backoff: [Duration] = [.seconds(1), .seconds(5), .seconds(30), .seconds(120)]
    ) {
        self.targets = targets
        self.store = store
        self.instance = instance
        self.logger = logger
        self.backoff = backoff
    }

    /// Queues `alert` for every webhook and returns at once.
    func send(_ alert: Alert) {
        guard !targets.isEmpty else { return }
        let now = Date()
        let body = alert.body(instance: instance, at: now)
        for target in targets {
            Task.detached { [self] in
                await deliver(body, event: alert.event, to: target, createdAt: now)
            }
        }
    }

    private func deliver(_ body: [UInt8], event: String, to target: URL, createdAt: Date) async {
        let id = "alert-" + UUID().uuidString.lowercased()
        try? await store.recordAlert(
            id: id, target: target.absoluteString, event: event, body: body, createdAt: createdAt)
        var attempts = 0
        var lastError = ""
        for delay in [Duration.zero] + backoff {
            if delay > .zero {
                try? await Task.sleep(for: delay)
            }
            attempts += 1
            do {
                try await post(body, to: target)
                try? await store.alertDelivered(id: id, attempts: attempts, at: Date())
                logger.info("alert delivered", metadata: ["event": "\(event)", "attempts": "\(attempts)"])
                return
            } catch {
                lastError = String(describing: error)
                try? await store.alertFailed(id: id, attempts: attempts, error: lastError, final: false)
            }
        }
        try? await store.alertFailed(id: id, attempts: attempts, error: lastError, final: true)
        logger.error(
            "alert not delivered", metadata: ["event": "\(event)", "attempts": "\(attempts)", "error": "\(lastError)"])
    }

    /// Through AsyncHTTPClient (SwiftNIO), not URLSession: Foundation's networking needs libcurl,
    /// which the statically linked release binary does not carry.
    private func post(_ body: [UInt8], to target: URL) async throws {
        var request = HTTPClientRequest(url: target.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "hsmsync/\(instance)")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard (200..<300).contains(response.status.code) else {
            throw AlertDeliveryError(reason: "HTTP \(response.status.code)")
        }
    }
}

struct AlertDeliveryError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
