public import Foundation
public import HSMSyncModel
import SecureMemory
import SignedLog

/// `hsmsync transport verify`: on every HSM of the fleet, exactly one object under the transport
/// label, no policy violation, and one transport check value shared by all.
///
/// Read-only: the only object created is the public check-value probe, a session object destroyed
/// at once. HSMs are checked in parallel; one failing never hides the others.
public struct TransportVerification: Sendable {
    public let connector: any HSMConnector
    public let options: ConnectOptions

    public init(connector: any HSMConnector, options: ConnectOptions = ConnectOptions()) {
        self.connector = connector
        self.options = options
    }

    /// Verifies the transport key on every HSM of `fleet`.
    public func run(_ fleet: Fleet) async -> TransportVerifyReport {
        let label = fleet.transport.label
        let connections = await connector.connect(fleet.hsms, readWrite: false, options: options)
        var inspections = [TransportVerifyReport.HSMResult?](repeating: nil, count: connections.count)
        await withTaskGroup(of: (Int, TransportVerifyReport.HSMResult).self) { group in
            for (index, connection) in connections.enumerated() {
                group.addTask { (index, await Self.inspect(connection, label: label)) }
            }
            for await (index, result) in group {
                inspections[index] = result
            }
        }
        for connection in connections {
            await connection.endpoint?.close()
        }
        return TransportVerifyReport(fleet: fleet.name, label: label, results: inspections.map { $0! })
    }

    private static func inspect(_ connection: HSMConnection, label: String) async -> TransportVerifyReport.HSMResult {
        let hsm = connection.configuration
        switch connection {
        case .failed(_, let error):
            return .init(name: hsm.name, role: hsm.role, error: error)
        case .connected(let endpoint):
            let serial = await endpoint.token()?.serialNumber
            do {
                let inspection = try await endpoint.inspectTransportKey(label: label)
                return .init(name: hsm.name, role: hsm.role, tokenSerial: serial, inspection: inspection)
            } catch let error as DeviceError {
                let failure = HSMError(hsm: hsm.name, .device(error, operation: "inspecting the transport key"))
                return .init(name: hsm.name, role: hsm.role, tokenSerial: serial, error: failure)
            } catch {
                let failure = (error as? HSMError) ?? HSMError(hsm: hsm.name, .notOpen)
                return .init(name: hsm.name, role: hsm.role, tokenSerial: serial, error: failure)
            }
        }
    }
}

/// What `hsmsync transport verify` found: the document `--json` prints.
public struct TransportVerifyReport: Sendable, Codable {
    public let fleet: String
    /// The fleet's transport label.
    public let label: String
    /// `ok` (every HSM holds one sound key, all check values equal), `mismatch` (an HSM lacks the
    /// key, holds several, breaks the policy or differs) or `error` (an HSM could not be checked).
    public let status: String
    public let generatedAt: Date
    /// The check value the fleet agrees on (held by more HSMs than any other), when there is one.
    public let checkValue: String?
    public let hsms: [HSMResult]
    /// Every problem, one line each, naming its HSM: `dr-1: transport key may also decrypt (…)`.
    public let problems: [String]

    /// One HSM's result.
    public struct HSMResult: Sendable, Codable {
        public let name: String
        public let role: HSMRole
        public let tokenSerial: String?
        /// Whether the HSM was reached and logged in.
        public let reachable: Bool
        /// Whether at least one object carries the transport label.
        public let present: Bool
        /// How many objects carry the label (`nil` when the HSM could not be checked).
        public let objects: Int?
        /// Policy violations, as phrases completing "transport key …".
        public let violations: [String]
        /// The transport check value computed in this HSM.
        public let checkValue: String?
        /// Whether the check value equals the fleet's (`nil` when there is none to compare).
        public var matches: Bool?
        /// The key's attributes, when exactly one object carries the label.
        public let record: KeyRecord?
        /// Why the HSM could not be checked (never contains a PIN).
        public let error: String?
        /// The failure's category, when it failed.
        public let errorCategory: String?
        /// Why there is no check value.
        public let checkValueUnavailable: String?

        init(name: String, role: HSMRole, tokenSerial: String? = nil, error: HSMError) {
            self.name = name
            self.role = role
            self.tokenSerial = tokenSerial
            reachable = !error.isUnreachable
            present = false
            objects = nil
            violations = []
            checkValue = nil
            matches = nil
            record = nil
            self.error = error.reason
            errorCategory = error.category.reportName
            checkValueUnavailable = nil
        }

        init(name: String, role: HSMRole, tokenSerial: String?, inspection: TransportKeyInspection) {
            self.name = name
            self.role = role
            self.tokenSerial = tokenSerial
            reachable = true
            present = inspection.isPresent
            objects = inspection.objects
            violations = inspection.violations
            checkValue = inspection.checkValue
            matches = nil
            record = inspection.record
            error = nil
            errorCategory = nil
            checkValueUnavailable = inspection.objects == 1 ? inspection.checkValueUnavailable : nil
        }
    }

    /// Builds the report: finds the fleet's check value and names every odd HSM.
    init(fleet: String, label: String, results: [HSMResult], generatedAt: Date = Date()) {
        var results = results
        let values = results.compactMap(\.checkValue)
        let counts = Dictionary(grouping: values, by: { $0 }).mapValues(\.count)
        let best = counts.values.max() ?? 0
        let leaders = counts.filter { $0.value == best }.map(\.key)
        let reference = leaders.count == 1 ? leaders[0] : nil
        var problems: [String] = []
        for index in results.indices {
            let hsm = results[index]
            if let error = hsm.error {
                problems.append("\(hsm.name): \(error)")
                continue
            }
            if hsm.objects == 0 {
                problems.append("\(hsm.name): no transport key (no object labelled \"\(label)\")")
            }
            problems += hsm.violations.map { "\(hsm.name): transport key \($0)" }
            if let reason = hsm.checkValueUnavailable {
                problems.append("\(hsm.name): transport key has no check value: \(reason)")
            }
            if let value = hsm.checkValue, counts.count > 1 {
                if let reference {
                    results[index].matches = value == reference
                    if value != reference {
                        let holders = results.filter { $0.checkValue == reference }.map(\.name)
                        problems.append(
                            "\(hsm.name): transport check value \(value) differs from \(reference) "
                                + "(\(holders.joined(separator: ", "))): a different transport key")
                    }
                } else {
                    results[index].matches = false
                    problems.append(
                        "\(hsm.name): transport check value \(value); the fleet has no majority check value")
                }
            } else if hsm.checkValue != nil {
                results[index].matches = true
            }
        }
        self.fleet = fleet
        self.label = label
        self.generatedAt = generatedAt
        self.checkValue = reference
        self.hsms = results
        self.problems = problems
        if results.contains(where: { $0.error != nil }) {
            status = "error"
        } else {
            status = problems.isEmpty ? "ok" : "mismatch"
        }
    }

    /// The exit category: invalid input (a fleet-file problem) first, then HSMs that could not be
    /// checked (runtime), then drift or policy violations (integrity); `nil` when all is well.
    public var failureCategory: FailureCategory? {
        let categories = hsms.compactMap(\.errorCategory)
        if categories.contains("invalid-input") { return .invalidInput }
        if !categories.isEmpty { return .runtime }
        return problems.isEmpty ? nil : .integrity
    }
}
