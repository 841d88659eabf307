import Foundation
public import HSMSyncModel
import Logging
import SignedLog

/// `hsmsync fleet check`: reach every HSM, log in, probe mechanisms, look for the transport key.
public struct FleetCheck: Sendable {
    public let connector: any HSMConnector
    public let options: ConnectOptions

    public init(connector: any HSMConnector, options: ConnectOptions = ConnectOptions()) {
        self.connector = connector
        self.options = options
    }

    /// Checks every HSM of `fleet` in parallel; one failing HSM never hides the others.
    public func run(_ fleet: Fleet) async -> FleetCheckReport {
        let connections = await connector.connect(fleet.hsms, readWrite: false, options: options)
        var checks: [FleetCheckReport.HSMCheck] = []
        await withTaskGroup(of: (Int, FleetCheckReport.HSMCheck).self) { group in
            for (index, connection) in connections.enumerated() {
                group.addTask { (index, await check(connection, transportLabel: fleet.transport.label)) }
            }
            var ordered = [FleetCheckReport.HSMCheck?](repeating: nil, count: connections.count)
            for await (index, check) in group {
                ordered[index] = check
            }
            checks = ordered.map { $0! }
        }
        for connection in connections {
            await connection.endpoint?.close()
        }
        let (pairs, assessed) = Self.negotiate(checks)
        let status =
            assessed.contains { $0.error != nil }
            ? "error" : assessed.contains { $0.degraded != nil } ? "degraded" : "ok"
        return FleetCheckReport(fleet: fleet.name, status: status, generatedAt: Date(), hsms: assessed, pairs: pairs)
    }

    /// Every pair of probed HSMs' negotiation, and each check marked degraded when its HSM can
    /// replicate with no other (or has no wrap method at all).
    static func negotiate(_ checks: [FleetCheckReport.HSMCheck]) -> ([PairNegotiation], [FleetCheckReport.HSMCheck]) {
        let probed = checks.compactMap { check in check.capabilities.map { (name: check.name, capabilities: $0) } }
        var pairs: [PairNegotiation] = []
        for (index, a) in probed.enumerated() {
            for b in probed[(index + 1)...] {
                pairs.append(PairNegotiation(a, b))
            }
        }
        let assessed = checks.map { check -> FleetCheckReport.HSMCheck in
            guard let capabilities = check.capabilities else { return check }
            guard capabilities.canReplicate else {
                let notes = capabilities.notes.isEmpty ? "" : " (\(capabilities.notes.joined(separator: "; ")))"
                return check.degraded(
                    "it offers no wrap method hsmsync replicates with (AES-KW or AES-KWP, wrap and unwrap)\(notes)")
            }
            let own = pairs.filter { $0.hsms.contains(check.name) }
            guard !own.isEmpty, !own.contains(where: \.replicates) else { return check }
            let reasons = own.map { pair in
                let other = pair.hsms.first { $0 != check.name } ?? "?"
                return "\(other): \(pair.impossible["aes"] ?? pair.impossible.values.sorted().first ?? "?")"
            }
            return check.degraded("it shares no wrap method with any other HSM (\(reasons.joined(separator: "; ")))")
        }
        return (pairs, assessed)
    }

    private func check(_ connection: HSMConnection, transportLabel: String) async -> FleetCheckReport.HSMCheck {
        let hsm = connection.configuration
        func report(
            reachable: Bool, token: FleetCheckReport.TokenSummary?, login: String, mechanisms: [MechanismSupport] = [],
            transport: FleetCheckReport.TransportKeyPresence? = nil, capabilities: TokenCapabilities? = nil,
            error: HSMError?
        ) -> FleetCheckReport.HSMCheck {
            FleetCheckReport.HSMCheck(
                name: hsm.name, role: hsm.role, site: hsm.site, module: hsm.modulePath, server: hsm.serverAddress,
                reachable: reachable, token: token, login: login, mechanisms: mechanisms, transportKey: transport,
                capabilities: capabilities, error: error?.reason, errorCategory: error?.category.reportName)
        }

        switch connection {
        case .failed(_, let error):
            let reached: Bool
            let login: String
            switch error.kind {
            case .loginFailed, .pinRefused, .pinLocked, .pinFinalTry, .userPINNotInitialized, .pinUnavailable:
                (reached, login) = (true, "failed")
            case .sameTokenAs:
                (reached, login) = (true, "not-attempted")
            default:
                (reached, login) = (false, "not-attempted")
            }
            return report(reachable: reached, token: nil, login: login, error: error)
        case .connected(let endpoint):
            let token = await endpoint.token().map { info in
                FleetCheckReport.TokenSummary(
                    uri: hsm.token.text, label: info.label, serial: info.serialNumber, model: info.model,
                    manufacturer: info.manufacturer, firmware: info.firmware)
            }
            do {
                let mechanisms = try await endpoint.probeMechanisms()
                let capabilities = try await endpoint.capabilities()
                let transportObjects = try await endpoint.countObjects(label: transportLabel, objectClass: nil)
                let state = transportObjects == 0 ? "absent" : transportObjects == 1 ? "present" : "ambiguous"
                let transport = FleetCheckReport.TransportKeyPresence(
                    label: transportLabel, state: state, objects: transportObjects)
                return report(
                    reachable: true, token: token, login: "ok", mechanisms: mechanisms, transport: transport,
                    capabilities: capabilities, error: nil)
            } catch let error as DeviceError {
                let failure = HSMError(hsm: hsm.name, .device(error, operation: "probing the token"))
                return report(reachable: !failure.isUnreachable, token: token, login: "ok", error: failure)
            } catch {
                let failure = (error as? HSMError) ?? HSMError(hsm: hsm.name, .notOpen)
                return report(reachable: true, token: token, login: "ok", error: failure)
            }
        }
    }
}
