import Foundation
import HSMSyncModel
import SignedLog

/// Builds a ``CeremonyPlan`` read-only against the live fleet: labels to create are absent, keys
/// to destroy exist, the transport key is present where a step needs it — counting what earlier
/// steps of the plan will create or destroy.
struct CeremonyPlanner {
    let runner: CeremonyRunner

    /// Objects by (HSM, label) as the plan goes: live counts, then what earlier steps change.
    final class Simulation {
        var counts: [String: Int] = [:]
        /// Keys earlier generate-key steps of the plan create, by HSM.
        var generated: [String: [KeyGenerationSpec]] = [:]
        /// Bundle files earlier backup-create steps of the plan write.
        var bundles: Set<String> = []
        func key(_ hsm: String, _ label: String) -> String { hsm + "\u{0}" + label }
    }

    func plan(skipping done: Set<String>) async throws -> CeremonyPlan {
        let simulation = Simulation()
        var steps: [PlannedStep] = []
        for (index, step) in runner.script.steps.enumerated() {
            let skipped = done.contains(step.id)
            let checks = skipped ? [] : try await checks(for: step, simulation: simulation)
            steps.append(PlannedStep(number: index + 1, step: step, done: skipped, checks: checks))
        }
        return CeremonyPlan(
            script: runner.script, fleet: runner.fleet,
            rehearsal: runner.rehearsal, steps: steps)
    }

    /// How many objects carry `label` on `hsm` at this point of the plan.
    func count(_ hsm: String, _ label: String, _ simulation: Simulation) async throws -> Int {
        let key = simulation.key(hsm, label)
        if let known = simulation.counts[key] { return known }
        let live = try await runner.worker(hsm).countObjects(label: label, objectClass: nil)
        simulation.counts[key] = live
        return live
    }

    private func checks(for step: CeremonyStep, simulation: Simulation) async throws -> [PlanCheck] {
        let fleet = runner.fleet
        let transport = fleet.transport.label
        switch step.action {
        case .fleetCheck(let hsms, let mechanisms):
            var checks: [PlanCheck] = []
            for expected in hsms {
                let worker = try await runner.worker(expected.hsm)
                let serial = await worker.token()?.serialNumber ?? ""
                let offered = Set(try await worker.mechanisms().map(\.rawValue))
                checks.append(
                    .token(
                        hsm: expected.hsm, serial: serial, expectedSerial: expected.serial,
                        serialMatches: expected.serial == nil || expected.serial == serial || runner.rehearsal,
                        missingMechanisms: mechanisms.filter { !offered.contains($0) }))
            }
            return checks
        case .transportCreate(let hsm, _, _, _), .transportInstall(let hsm, _, _):
            return [try await labelFree(hsm, transport, simulation)]
        case .transportAgree(let from, let to):
            return [try await labelFree(from, transport, simulation), try await labelFree(to, transport, simulation)]
        case .transportVerify(let hsms):
            var checks: [PlanCheck] = []
            for hsm in hsms {
                checks.append(
                    .transportKeys(hsm: hsm, label: transport, count: try await count(hsm, transport, simulation)))
            }
            return checks
        case .generateKey(let spec):
            let check = try await labelFree(spec.hsm, spec.label, simulation)
            simulation.generated[spec.hsm, default: []].append(spec)
            return [check]
        case .destroyKey(let hsm, let label, _, _, _):
            let found = try await count(hsm, label, simulation)
            simulation.counts[simulation.key(hsm, label)] = 0
            return [.keyToDestroy(hsm: hsm, label: label, found: found)]
        case .replicate(let from, let to, let include, let exclude):
            return try await replicateChecks(
                from: from, to: to, include: include, exclude: exclude, simulation: simulation)
        case .backupCreate(let hsm, let out):
            let path = runner.bundlePath(out, creating: true)
            let exists = FileManager.default.fileExists(atPath: path) || simulation.bundles.contains(path)
            simulation.bundles.insert(path)
            return [.bundleFree(path: path, exists: exists), try await backupKey(hsm, simulation)]
        case .backupVerify(let bundle):
            return [bundleAvailable(bundle, simulation)]
        case .backupRestore(let bundle, let hsm, _):
            return [
                bundleAvailable(bundle, simulation),
                .restoreTarget(hsm: hsm, isPrimary: fleet.hsm(named: hsm)?.role == .primary),
                try await backupKey(hsm, simulation),
            ]
        case .confirm, .audit, .note, .witnessSignOff, .close:
            return []
        }
    }

    /// No object may carry `label` yet; from this step on, one will.
    private func labelFree(_ hsm: String, _ label: String, _ simulation: Simulation) async throws -> PlanCheck {
        let found = try await count(hsm, label, simulation)
        if found == 0 { simulation.counts[simulation.key(hsm, label)] = 1 }
        return .labelFree(hsm: hsm, label: label, found: found)
    }

    private func bundleAvailable(_ bundle: String, _ simulation: Simulation) -> PlanCheck {
        let path = runner.bundlePath(bundle, creating: false)
        let madeEarlier = simulation.bundles.contains(runner.bundlePath(bundle, creating: true))
        return .bundleAvailable(
            bundle: bundle, path: path, madeEarlier: madeEarlier,
            exists: !madeEarlier && FileManager.default.fileExists(atPath: path))
    }

    private func backupKey(_ hsm: String, _ simulation: Simulation) async throws -> PlanCheck {
        let label = runner.fleet.backupKeyLabel
        return .backupKey(hsm: hsm, label: label, present: try await count(hsm, label, simulation) >= 1)
    }
}
