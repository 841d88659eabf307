import Foundation
public import HSMSyncModel
import SecureMemory
import SignedLog

extension CeremonyRunner {
    /// The fleet a `replicate` step reconciles: `from` as the only primary, `to` as secondaries,
    /// every other HSM left out, and the key scope narrowed to the step's globs (the fleet's own
    /// excludes still apply; the plan refuses keys the step names outside the fleet's includes).
    nonisolated func replicationFleet(from: String, to: [String], include: [String], exclude: [String]) throws
        -> Fleet
    {
        var hsms: [HSMConfiguration] = []
        for (name, role) in [(from, HSMRole.primary)] + to.map({ ($0, HSMRole.secondary) }) {
            guard let hsm = fleet.hsm(named: name) else {
                throw CeremonyError.invalid("the fleet has no HSM called \(name)")
            }
            hsms.append(
                HSMConfiguration(
                    name: hsm.name, role: role, site: hsm.site, modulePath: hsm.modulePath,
                    serverAddress: hsm.serverAddress, initArguments: hsm.initArguments, token: hsm.token,
                    pin: hsm.pin))
        }
        return Fleet(
            name: fleet.name, hsms: hsms, keys: Self.replicationScope(fleet, include: include, exclude: exclude),
            transport: fleet.transport, log: fleet.log, policy: fleet.policy, stateDirectory: fleet.stateDirectory,
            path: fleet.path, fileDigest: fleet.fileDigest)
    }

    /// The step's globs, with the fleet's excludes added.
    public nonisolated static func replicationScope(_ fleet: Fleet, include: [String], exclude: [String]) -> KeyScope {
        KeyScope(include: include, exclude: fleet.keys.exclude + exclude)
    }

    /// The keys a replicate step asks for on its source: in the step's scope, not infrastructure,
    /// readable (not odd).
    nonisolated static func requestedKeys(_ records: [KeyRecord], fleet: Fleet, scope: KeyScope) -> [KeyRecord] {
        records.filter { record in
            guard let label = record.label, !record.isOdd, !fleet.isInfrastructure(label: label) else { return false }
            return scope.contains(label: label)
        }
    }

    /// `method:sha256`, or `unavailable: reason`.
    nonisolated static func describe(_ fingerprint: Fingerprint) -> String {
        switch fingerprint {
        case .available(let method, let sha256): return "\(method):\(sha256)"
        case .unavailable(let reason): return "unavailable: \(reason)"
        }
    }

    /// Runs `hsmsync reconcile --apply` on the fleet narrowed to the step (see
    /// ``replicationFleet(from:to:include:exclude:)``), then checks every requested key on every
    /// destination by fingerprint.
    ///
    /// `ReconcileRun` writes its entries (`replicate.*`) into the ceremony's trail; the step's
    /// checkpoint signs them. Its workers do not log in: the ceremony's workers already hold the
    /// tokens logged in (PKCS#11 login is per application), so no PIN is read again.
    func replicate(_ step: CeremonyStep, from: String, to: [String], include: [String], exclude: [String])
        async throws -> [String: JSONValue]
    {
        let narrowed = try replicationFleet(from: from, to: to, include: include, exclude: exclude)
        let transportLabel = fleet.transport.label
        let source = try await worker(from)
        for name in to { _ = try await worker(name) }
        let requested = Self.requestedKeys(
            try await source.scan(transportLabel: transportLabel, scope: narrowed.keys, progress: nil).objects,
            fleet: fleet,
            scope: narrowed.keys)
        guard !requested.isEmpty else {
            throw CeremonyError.stepFailed(
                step: step.id,
                reason: "\(from) holds no key in the step's scope (include \(include), exclude \(exclude))",
                category: .invalidInput)
        }

        guard let trail else { throw CeremonyError.invalid("the ceremony log is not open") }
        let report = try await ReconcileRun(connector: connector, options: ConnectOptions(login: false))
            .run(narrowed, apply: true, trail: trail)

        let absent = try await absentOnDestinations(
            requested, to: to, transportLabel: transportLabel, scope: narrowed.keys)
        sayOutcome(report)
        var problems: [String] = []
        if !report.failures.isEmpty { problems.append("\(report.failures.count) failure(s)") }
        if !report.skipped.isEmpty { problems.append("\(report.skipped.count) key(s) skipped") }
        if !report.conflicts.isEmpty { problems.append("\(report.conflicts.count) conflict(s)") }
        if !absent.isEmpty { problems.append("not on the destination: " + absent.joined(separator: ", ")) }
        guard problems.isEmpty else {
            throw CeremonyError.stepFailed(
                step: step.id,
                reason: "replication from \(from) incomplete: " + problems.joined(separator: "; ")
                    + " (details in the log's replicate.* entries)",
                category: report.failures.contains(where: \.securityEvent) ? .integrity : .runtime)
        }
        say(
            "  \(requested.count) key object(s) in scope on \(from); \(report.copied.count) copied, "
                + "every one present on \(to.joined(separator: ", ")) with the source's fingerprint")
        var outputs = Self.outputs(report, requested: requested)
        outputs["from"] = .string(from)
        outputs["to"] = .array(to.map(JSONValue.string))
        outputs["scope"] = .object([
            "include": .array(include.map(JSONValue.string)), "exclude": .array(exclude.map(JSONValue.string)),
        ])
        return outputs
    }

    /// Every requested key that is not on every destination exactly once with the source's fingerprint.
    private func absentOnDestinations(
        _ requested: [KeyRecord], to: [String], transportLabel: String, scope: KeyScope
    ) async throws -> [String] {
        var absent: [String] = []
        for name in to {
            let held = try await worker(name).scan(transportLabel: transportLabel, scope: scope, progress: nil).objects
            for key in requested {
                let copies = held.filter { $0.identity == key.identity }
                let same =
                    copies.count == 1 && (key.fingerprint.digest == nil || copies[0].fingerprint == key.fingerprint)
                if !same {
                    absent.append(
                        "\(SummaryName.of(key)) on \(name) (\(copies.isEmpty ? "absent" : copies.count > 1 ? "\(copies.count) copies" : "different fingerprint"))"
                    )
                }
            }
        }
        return absent
    }

    private func sayOutcome(_ report: ReconcileReport) {
        for copy in report.copied {
            say("  copied \(copy.key.displayName) to \(copy.destination) (\(copy.proofs.joined(separator: ", ")))")
        }
        for skip in report.skipped {
            say("  SKIPPED \(skip.key.displayName) for \(skip.destination): \(skip.reason): \(skip.detail)")
        }
        for conflict in report.conflicts {
            say("  CONFLICT \(conflict.key?.displayName ?? "") on \(conflict.hsm): \(conflict.detail)")
        }
        for failure in report.failures {
            say("  FAILED \(failure.key?.displayName ?? failure.hsm): \(failure.reason): \(failure.detail)")
        }
    }

    /// The step's outputs from the reconcile report: what was requested, copied, skipped, in conflict, failed.
    private static func outputs(_ report: ReconcileReport, requested: [KeyRecord]) -> [String: JSONValue] {
        func fingerprint(of summary: KeySummary) -> String {
            requested.first {
                $0.objectClass == summary.class && ($0.label ?? "") == summary.label && ($0.id ?? "") == summary.id
            }.map { describe($0.fingerprint) } ?? "unknown"
        }
        func keyObject(_ summary: KeySummary) -> [String: JSONValue] {
            ["label": .string(summary.label), "id": .string(summary.id), "class": .string(summary.class.rawValue)]
        }
        let copied: [JSONValue] = report.copied.map { copy in
            var object = keyObject(copy.key)
            object["fingerprint"] = .string(fingerprint(of: copy.key))
            object["destination"] = .string(copy.destination)
            object["proofs"] = .array(copy.proofs.map(JSONValue.string))
            return .object(object)
        }
        let skipped: [JSONValue] = report.skipped.map { skip in
            var object = keyObject(skip.key)
            object["destination"] = .string(skip.destination)
            object["reason"] = .string(skip.reason)
            object["detail"] = .string(skip.detail)
            return .object(object)
        }
        let conflicts: [JSONValue] = report.conflicts.map { finding in
            var object = finding.key.map(keyObject) ?? [:]
            object["hsm"] = .string(finding.hsm)
            object["detail"] = .string(finding.detail)
            return .object(object)
        }
        let failures: [JSONValue] = report.failures.map { failure in
            var object = failure.key.map(keyObject) ?? [:]
            object["hsm"] = .string(failure.hsm)
            object["reason"] = .string(failure.reason)
            object["detail"] = .string(failure.detail)
            return .object(object)
        }
        return [
            "requested": .array(
                requested.map {
                    .object([
                        "label": .string($0.label ?? ""), "id": .string($0.id ?? ""),
                        "class": .string($0.objectClass.rawValue),
                        "fingerprint": .string(describe($0.fingerprint)),
                    ])
                }),
            "copied": .array(copied), "skipped": .array(skipped), "conflicts": .array(conflicts),
            "failures": .array(failures), "status": .string(report.status.rawValue),
        ]
    }
}

/// `private-key "ca-root" (id 01a4)` for a record.
enum SummaryName {
    static func of(_ record: KeyRecord) -> String { KeySummary(record).displayName }
}
