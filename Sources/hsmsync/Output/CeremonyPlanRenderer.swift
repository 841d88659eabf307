import HSMSyncCore
import HSMSyncModel
import SignedLog

/// The plan as witnesses read it: each step with its parameters, a ✓ or ✗ line per check, then
/// the problems. Wording is free to change here; the digest covers the checks, not these lines.
enum CeremonyPlanRenderer {
    static func text(_ plan: CeremonyPlan) -> String {
        lines(plan).joined(separator: "\n") + "\n"
    }

    static func lines(_ plan: CeremonyPlan) -> [String] {
        let script = plan.script
        let roles = script.roles
        var lines: [String] = [
            "Ceremony \(script.name)\(plan.rehearsal ? " (REHEARSAL on throwaway tokens)" : "")",
            "file     \(script.path)", "script   \(script.digest)", "fleet    \(plan.fleet.name) (\(plan.fleet.path))",
            "master   \(roles.master)",
            "custodians \(roles.custodians.joined(separator: ", ")) (\(roles.threshold) needed)",
            "witnesses  \(roles.witnesses.map(\.name).joined(separator: ", "))", "",
        ]
        for planned in plan.steps {
            let step = planned.step
            let status = planned.done ? " — DONE in an earlier attempt, not repeated" : ""
            lines.append("\(planned.number). [\(step.id)] \(step.title) — \(step.action.name), by \(step.by)\(status)")
            guard !planned.done else { continue }
            lines += details(planned, fleet: plan.fleet, custodians: roles.custodians).map { "     " + $0 }
        }
        let problems = plan.problems
        if !problems.isEmpty {
            lines.append("")
            lines.append("PROBLEMS (the ceremony cannot run):")
            lines += problems.map { "  - " + $0 }
        }
        return lines
    }

    private static func details(_ planned: PlannedStep, fleet: Fleet, custodians: [String]) -> [String] {
        let checks = planned.checks.compactMap(line)
        switch planned.step.action {
        case .fleetCheck(_, let mechanisms):
            return ["mechanisms: \(mechanisms.joined(separator: ", "))"] + checks
        case .confirm(let prompt):
            return ["asks: \(prompt)"]
        case .transportCreate(_, let shares, let threshold, let delivery):
            return [
                "\(threshold) of \(shares) shares to \(custodians.joined(separator: ", ")), delivered on \(delivery.rawValue)"
            ] + checks
        case .transportInstall(_, let from, let kcv):
            return ["shares from \(from.joined(separator: ", ")); KCV \(describe(kcv))"] + checks
        case .generateKey(let spec):
            let flags = KeyGenerationSpec.attributeNames.map { "\($0)=\(spec.attributes[$0] ?? false)" }
            return [
                "\(spec.type.rawValue) \(spec.size.map { "\($0) bits" } ?? spec.curve ?? "") label \"\(spec.label)\" "
                    + "id \(Hex.encode(spec.id)) on \(spec.hsm)",
                flags.joined(separator: " "),
            ] + checks
        case .audit(let expect):
            return ["parity audit of every HSM; expect \(expect.rawValue)"]
        case .note(let text):
            return [text]
        case .witnessSignOff(let witnesses, let statement, let method):
            return ["\(witnesses.joined(separator: ", ")) sign (\(method.rawValue)): \(statement)"]
        case .destroyKey(let hsm, let label, let id, let keyClass, let confirmedBy):
            return [
                "DESTROY \(keyClass.rawValue) \"\(label)\" id \(Hex.encode(id)) on \(hsm); confirmed by "
                    + confirmedBy.joined(separator: " and ")
            ]
        case .close(let statement):
            return [statement]
        case .replicate(let from, let to, let include, let exclude):
            let scope = CeremonyRunner.replicationScope(fleet, include: include, exclude: exclude)
            return [
                "copy from \(from) to \(to.joined(separator: ", ")): labels \(include.joined(separator: " "))"
                    + (scope.exclude.isEmpty ? "" : ", except \(scope.exclude.joined(separator: " "))")
                    + " (hsmsync reconcile --apply, narrowed to these HSMs and labels)"
            ] + checks
        case .backupRestore(_, _, let allowResurrectBy) where !allowResurrectBy.isEmpty:
            let resurrect =
                "keys the source destroyed since the bundle may be brought back, if "
                + allowResurrectBy.joined(separator: " and ") + " both confirm at the step"
            return Array(checks.prefix(1)) + [resurrect] + checks.dropFirst()
        case .transportAgree, .transportVerify, .backupCreate, .backupVerify, .backupRestore:
            return checks
        }
    }

    /// The ✓ or ✗ line of a check; `nil` for checks that only show as problems.
    private static func line(_ check: PlanCheck) -> String? {
        let mark = check.holds ? "✓" : "✗"
        switch check {
        case .labelFree(let hsm, let label, let found):
            return found == 0 ? "✓ \(hsm): \"\(label)\" is free" : "✗ \(hsm): \"\(label)\" is in use"
        case .token(let hsm, let serial, let expected, _, let missing):
            return "\(mark) \(hsm): serial \(serial) (expected \(expected ?? "any"))"
                + (missing.isEmpty ? ", every mechanism offered" : ", missing \(missing.joined(separator: ", "))")
        case .transportKeys(let hsm, let label, _):
            return "\(mark) \(hsm): transport key \"\(label)\""
        case .bundleFree(let path, let exists):
            return exists ? "✗ \(path) exists" : "✓ \(path) is free"
        case .bundleAvailable(let bundle, let path, let madeEarlier, let exists):
            return madeEarlier
                ? "✓ \(bundle): made by an earlier step" : exists ? "✓ \(path) exists" : "✗ \(path) is missing"
        case .backupKey(let hsm, let label, let present):
            return present ? "✓ \(hsm): backup key \"\(label)\"" : "✗ \(hsm): backup key \"\(label)\" is missing"
        case .replicationSource(let hsm, let keys):
            return keys == 0 ? "✗ \(hsm): no key in scope" : nil
        case .replicatedKey(let hsm, let keyClass, let label, let extractable, let inScope, let wrapWithTrusted):
            var marks: [String] = []
            if keyClass.holdsSecretMaterial && !extractable { marks.append("NOT extractable") }
            if !inScope { marks.append("outside the fleet's scope") }
            if wrapWithTrusted {
                marks.append("CKA_WRAP_WITH_TRUSTED: the transport key must be CKA_TRUSTED on \(hsm)")
            }
            return
                "\(mark) \(hsm): \(keyClass) \"\(label)\"\(marks.isEmpty ? "" : " — " + marks.joined(separator: "; "))"
        case .keyToDestroy, .restoreTarget:
            return nil
        }
    }

    private static func describe(_ kcv: KCVSource) -> String {
        switch kcv {
        case .step(let id): return "recorded by step \(id)"
        case .value(let value): return value
        case .prompt: return "typed by the master from the ceremony record"
        }
    }
}
