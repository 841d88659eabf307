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
        let failed = checks.contains { $0.error != nil }
        return FleetCheckReport(fleet: fleet.name, status: failed ? "error" : "ok", generatedAt: Date(), hsms: checks)
    }

    private func check(_ connection: HSMConnection, transportLabel: String) async -> FleetCheckReport.HSMCheck {
        let hsm = connection.configuration
        func report(
            reachable: Bool, token: FleetCheckReport.TokenSummary?, login: String, mechanisms: [MechanismSupport] = [],
            transport: FleetCheckReport.TransportKeyPresence? = nil, error: HSMError?
        ) -> FleetCheckReport.HSMCheck {
            FleetCheckReport.HSMCheck(
                name: hsm.name, role: hsm.role, site: hsm.site, module: hsm.modulePath, server: hsm.serverAddress,
                reachable: reachable, token: token, login: login, mechanisms: mechanisms, transportKey: transport,
                error: error?.reason, errorCategory: error?.category.reportName)
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
                let transportObjects = try await endpoint.countObjects(label: transportLabel, objectClass: nil)
                let state = transportObjects == 0 ? "absent" : transportObjects == 1 ? "present" : "ambiguous"
                let transport = FleetCheckReport.TransportKeyPresence(
                    label: transportLabel, state: state, objects: transportObjects)
                return report(
                    reachable: true, token: token, login: "ok", mechanisms: mechanisms, transport: transport, error: nil
                )
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
