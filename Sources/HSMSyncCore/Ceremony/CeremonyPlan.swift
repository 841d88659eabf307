import Foundation
public import HSMSyncModel
import SignedLog

/// The plan witnesses read before a ceremony: every step with its parameters and what the live
/// fleet showed for it, plus the problems that stop it. Its digest (also as PGP words) is read
/// aloud and recorded in `ceremony.open`.
public struct CeremonyPlan: Sendable {
    public let lines: [String]
    /// Why the plan cannot be carried out; empty when it can.
    public let problems: [String]

    /// The plan as printed.
    public var text: String { lines.joined(separator: "\n") + "\n" }
    /// SHA-256 of ``text``.
    public var digest: AuditDigest { AuditDigest.sha256(of: Array(text.utf8)) }
    /// The digest as PGP words.
    public var words: String { PGPWords.string(for: digest.bytes) }
}

/// Builds a ``CeremonyPlan`` read-only against the live fleet: labels to create are absent, keys
/// to destroy exist, the transport key is present where a step needs it — counting what earlier
/// steps of the plan will create or destroy.
struct CeremonyPlanner {
    let runner: CeremonyRunner

    /// Objects by (HSM, label) as the plan goes: live counts, then what earlier steps change.
    private final class Simulation {
        var counts: [String: Int] = [:]
        /// Keys earlier generate-key steps of the plan create, by HSM.
        var generated: [String: [KeyGenerationSpec]] = [:]
        /// Bundle files earlier backup-create steps of the plan write.
        var bundles: Set<String> = []
        func key(_ hsm: String, _ label: String) -> String { hsm + "\u{0}" + label }
    }

    func plan(skipping done: Set<String>) async throws -> CeremonyPlan {
        let script = runner.script
        let fleet = runner.fleet
        let transport = fleet.transport.label
        var lines: [String] = [
            "Ceremony \(script.name)\(runner.rehearsal ? " (REHEARSAL on throwaway tokens)" : "")",
            "file     \(script.path)", "script   \(script.digest)", "fleet    \(fleet.name) (\(fleet.path))",
            "master   \(script.roles.master)",
            "custodians \(script.roles.custodians.joined(separator: ", ")) (\(script.roles.threshold) needed)",
            "witnesses  \(script.roles.witnesses.map(\.name).joined(separator: ", "))", "",
        ]
        var problems: [String] = []
        let simulation = Simulation()
        func count(_ hsm: String, _ label: String) async throws -> Int {
            let key = simulation.key(hsm, label)
            if let known = simulation.counts[key] { return known }
            let worker = try await runner.worker(hsm)
            let live = try await worker.countObjects(label: label, objectClass: nil)
            simulation.counts[key] = live
            return live
        }
        func requireAbsent(_ hsm: String, _ label: String, _ step: CeremonyStep) async throws -> String {
            let found = try await count(hsm, label)
            if found > 0 {
                problems.append("step \(step.id): \(hsm) already holds \(found) object(s) labelled \"\(label)\"")
                return "✗ \(hsm): \"\(label)\" is in use"
            }
            simulation.counts[simulation.key(hsm, label)] = 1
            return "✓ \(hsm): \"\(label)\" is free"
        }

        func requireBundle(_ bundle: String, _ step: CeremonyStep) -> String {
            let path = runner.bundlePath(bundle, creating: false)
            let created = runner.bundlePath(bundle, creating: true)
            if simulation.bundles.contains(created) { return "✓ \(bundle): made by an earlier step" }
            guard FileManager.default.fileExists(atPath: path) else {
                problems.append("step \(step.id): no bundle at \(path)")
                return "✗ \(path) is missing"
            }
            return "✓ \(path) exists"
        }
        func requireBackupKey(_ hsm: String, _ step: CeremonyStep) async throws -> String {
            let label = fleet.backupKeyLabel
            guard try await count(hsm, label) >= 1 else {
                problems.append("step \(step.id): \(hsm) holds no backup key \"\(label)\"")
                return "✗ \(hsm): backup key \"\(label)\" is missing"
            }
            return "✓ \(hsm): backup key \"\(label)\""
        }

        for (index, step) in script.steps.enumerated() {
            let status = done.contains(step.id) ? " — DONE in an earlier attempt, not repeated" : ""
            lines.append("\(index + 1). [\(step.id)] \(step.title) — \(step.action.name), by \(step.by)\(status)")
            if done.contains(step.id) { continue }
            var details: [String] = []
            switch step.action {
            case .fleetCheck(let hsms, let mechanisms):
                details.append("mechanisms: \(mechanisms.joined(separator: ", "))")
                for expected in hsms {
                    let worker = try await runner.worker(expected.hsm)
                    let serial = await worker.token()?.serialNumber ?? ""
                    let offered = Set(try await worker.mechanisms().map(\.rawValue))
                    let missing = mechanisms.filter { !offered.contains($0) }
                    let serialOK = expected.serial == nil || expected.serial == serial || runner.rehearsal
                    if !serialOK {
                        problems.append(
                            "step \(step.id): \(expected.hsm) has token serial \(serial), not \(expected.serial!)")
                    }
                    if !missing.isEmpty {
                        problems.append(
                            "step \(step.id): \(expected.hsm) does not offer \(missing.joined(separator: ", "))")
                    }
                    details.append(
                        "\(serialOK && missing.isEmpty ? "✓" : "✗") \(expected.hsm): serial \(serial) (expected "
                            + "\(expected.serial ?? "any"))"
                            + (missing.isEmpty
                                ? ", every mechanism offered" : ", missing \(missing.joined(separator: ", "))"))
                }
            case .confirm(let prompt):
                details.append("asks: \(prompt)")
            case .transportCreate(let hsm, let shares, let threshold, let delivery):
                details.append(
                    "\(threshold) of \(shares) shares to \(script.roles.custodians.joined(separator: ", ")), "
                        + "delivered on \(delivery.rawValue)")
                details.append(try await requireAbsent(hsm, transport, step))
            case .transportInstall(let hsm, let custodians, let kcv):
                details.append("shares from \(custodians.joined(separator: ", ")); KCV \(Self.describe(kcv))")
                details.append(try await requireAbsent(hsm, transport, step))
            case .transportAgree(let from, let to):
                details.append(try await requireAbsent(from, transport, step))
                details.append(try await requireAbsent(to, transport, step))
            case .transportVerify(let hsms):
                for hsm in hsms {
                    let found = try await count(hsm, transport)
                    if found != 1 {
                        problems.append("step \(step.id): \(hsm) will hold \(found) transport key(s), not 1")
                    }
                    details.append("\(found == 1 ? "✓" : "✗") \(hsm): transport key \"\(transport)\"")
                }
            case .generateKey(let spec):
                let flags = KeyGenerationSpec.attributeNames.map { "\($0)=\(spec.attributes[$0] ?? false)" }
                details.append(
                    "\(spec.type.rawValue) \(spec.size.map { "\($0) bits" } ?? spec.curve ?? "") label \"\(spec.label)\" "
                        + "id \(Hex.encode(spec.id)) on \(spec.hsm)")
                details.append(flags.joined(separator: " "))
                details.append(try await requireAbsent(spec.hsm, spec.label, step))
                simulation.generated[spec.hsm, default: []].append(spec)
            case .audit(let expect):
                details.append("parity audit of every HSM; expect \(expect.rawValue)")
            case .note(let text):
                details.append(text)
            case .witnessSignOff(let witnesses, let statement, let method):
                details.append("\(witnesses.joined(separator: ", ")) sign (\(method.rawValue)): \(statement)")
            case .destroyKey(let hsm, let label, let id, let keyClass, let confirmedBy):
                details.append(
                    "DESTROY \(keyClass.rawValue) \"\(label)\" id \(Hex.encode(id)) on \(hsm); confirmed by "
                        + confirmedBy.joined(separator: " and "))
                let found = try await count(hsm, label)
                if found == 0 {
                    problems.append("step \(step.id): \(hsm) holds nothing labelled \"\(label)\" to destroy")
                }
                simulation.counts[simulation.key(hsm, label)] = 0
            case .close(let statement):
                details.append(statement)
            case .replicate(let from, let to, let include, let exclude):
                details += try await planReplicate(
                    step, from: from, to: to, include: include, exclude: exclude, simulation: simulation,
                    count: count, problems: &problems)
            case .backupCreate(let hsm, let out):
                let path = runner.bundlePath(out, creating: true)
                if FileManager.default.fileExists(atPath: path) || simulation.bundles.contains(path) {
                    problems.append("step \(step.id): \(path) exists; a backup never overwrites a file")
                    details.append("✗ \(path) exists")
                } else {
                    details.append("✓ \(path) is free")
                }
                simulation.bundles.insert(path)
                details.append(try await requireBackupKey(hsm, step))
            case .backupVerify(let bundle):
                details.append(requireBundle(bundle, step))
            case .backupRestore(let bundle, let hsm, let allowResurrectBy):
                details.append(requireBundle(bundle, step))
                if !allowResurrectBy.isEmpty {
                    details.append(
                        "keys the source destroyed since the bundle may be brought back, if "
                            + allowResurrectBy.joined(separator: " and ") + " both confirm at the step")
                }
                if fleet.hsm(named: hsm)?.role == .primary {
                    problems.append("step \(step.id): \(hsm) is a primary; a restore never targets a primary")
                }
                details.append(try await requireBackupKey(hsm, step))
            }
            lines += details.map { "     " + $0 }
        }
        if !problems.isEmpty {
            lines.append("")
            lines.append("PROBLEMS (the ceremony cannot run):")
            lines += problems.map { "  - " + $0 }
        }
        return CeremonyPlan(lines: lines, problems: problems)
    }

    /// A replicate step: the transport key on both ends, and every key in scope on the source
    /// (live, or generated by an earlier step) extractable and inside the fleet's scope.
    private func planReplicate(
        _ step: CeremonyStep, from: String, to: [String], include: [String], exclude: [String],
        simulation: Simulation, count: (String, String) async throws -> Int, problems: inout [String]
    ) async throws -> [String] {
        let fleet = runner.fleet
        let transport = fleet.transport.label
        let scope = CeremonyRunner.replicationScope(fleet, include: include, exclude: exclude)
        var details = [
            "copy from \(from) to \(to.joined(separator: ", ")): labels \(include.joined(separator: " "))"
                + (scope.exclude.isEmpty ? "" : ", except \(scope.exclude.joined(separator: " "))")
                + " (hsmsync reconcile --apply, narrowed to these HSMs and labels)"
        ]
        for hsm in [from] + to {
            let found = try await count(hsm, transport)
            if found != 1 {
                problems.append("step \(step.id): \(hsm) will hold \(found) transport key(s), not 1")
            }
            details.append("\(found == 1 ? "✓" : "✗") \(hsm): transport key \"\(transport)\"")
        }
        // (class, label, extractable, wrap-with-trusted) of every key object in scope on the source.
        var keys: [(ObjectKind, String, Bool?, Bool?)] = []
        let worker = try await runner.worker(from)
        let live = try await worker.scan(
            transportLabel: transport, scope: KeyScope(include: [], exclude: []), progress: nil
        ).objects
        for record in CeremonyRunner.requestedKeys(live, fleet: fleet, scope: scope)
        where simulation.counts[simulation.key(from, record.label!)] != 0 {
            keys.append(
                (record.objectClass, record.label!, record.attributes.extractable, record.attributes.wrapWithTrusted))
        }
        for spec in simulation.generated[from] ?? [] where scope.contains(label: spec.label) {
            let keyClass: ObjectKind = spec.type == .aes ? .secretKey : .privateKey
            keys.append((keyClass, spec.label, spec.attributes["extractable"], spec.attributes["wrap-with-trusted"]))
            if spec.type != .aes { keys.append((.publicKey, spec.label, nil, nil)) }
        }
        if keys.isEmpty {
            problems.append("step \(step.id): \(from) will hold no key in the step's scope")
            details.append("✗ \(from): no key in scope")
        }
        for (keyClass, label, extractable, wrapWithTrusted) in keys {
            var marks: [String] = []
            if keyClass != "public-key" && keyClass != "certificate" && extractable != true {
                problems.append("step \(step.id): \(keyClass) \"\(label)\" on \(from) is not extractable")
                marks.append("NOT extractable")
            }
            if !fleet.keys.contains(label: label) {
                problems.append("step \(step.id): \"\(label)\" is outside the fleet's key scope")
                marks.append("outside the fleet's scope")
            }
            if wrapWithTrusted == true {
                marks.append("CKA_WRAP_WITH_TRUSTED: the transport key must be CKA_TRUSTED on \(from)")
            }
            details.append(
                "\(marks.isEmpty || (marks.count == 1 && wrapWithTrusted == true) ? "✓" : "✗") \(from): "
                    + "\(keyClass) \"\(label)\"\(marks.isEmpty ? "" : " — " + marks.joined(separator: "; "))")
            for hsm in to { simulation.counts[simulation.key(hsm, label)] = 1 }
        }
        return details
    }

    static func describe(_ kcv: KCVSource) -> String {
        switch kcv {
        case .step(let id): return "recorded by step \(id)"
        case .value(let value): return value
        case .prompt: return "typed by the master from the ceremony record"
        }
    }
}
