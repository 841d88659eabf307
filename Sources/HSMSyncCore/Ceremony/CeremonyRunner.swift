import Foundation
public import HSMSyncModel
import SecureMemory
public import SignedLog

/// Runs a validated ceremony against its fleet: plan (read-only) → execute, each step logged
/// before and after it runs with a signed checkpoint after it, stopping at the first failure with
/// an account of what was and was not done. `--resume` continues a failed run from the failed
/// step; which steps completed is read from the (verified) signed log, so none runs twice.
///
/// Steps run one after another; each HSM is worked through one ``HSMWorker`` for the whole run,
/// so every PIN is asked for once.
public actor CeremonyRunner {
    public nonisolated let script: CeremonyScript
    public nonisolated let fleet: Fleet
    public nonisolated let inputs: any CeremonyInputs
    /// Whether this is a rehearsal on throwaway tokens (serials are then not compared).
    public nonisolated let rehearsal: Bool
    let connector: any HSMConnector
    let readWrite: Bool
    /// Human progress lines (stdout in the CLI).
    let say: @Sendable (String) -> Void
    var workers: [String: any HSMEndpoint] = [:]
    var trail: AuditTrail?
    var run = ""
    /// Outputs of the steps completed in this run (also those of earlier attempts, from the log).
    var outputs: [String: [String: JSONValue]] = [:]

    public init(
        script: CeremonyScript, fleet: Fleet, connector: any HSMConnector, inputs: any CeremonyInputs,
        rehearsal: Bool = false, readWrite: Bool = true, say: @escaping @Sendable (String) -> Void
    ) {
        self.script = script
        self.fleet = fleet
        self.connector = connector
        self.inputs = inputs
        self.rehearsal = rehearsal
        self.readWrite = readWrite
        self.say = say
    }

    /// The log directory (validation guarantees the fleet has one).
    nonisolated var logDirectory: String { fleet.log!.directory }
    nonisolated var statePath: String {
        CeremonyRunState.path(logDirectory: logDirectory, ceremony: script.name)
    }

    /// The worker for an HSM of the fleet, opened on first use.
    func worker(_ name: String) async throws -> any HSMEndpoint {
        if let worker = workers[name] { return worker }
        guard let hsm = fleet.hsm(named: name) else {
            throw CeremonyError.invalid("the fleet has no HSM called \(name)")
        }
        let connection = await connector.connect([hsm], readWrite: readWrite)[0]
        guard let worker = connection.endpoint else { throw connection.error! }
        workers[name] = worker
        return worker
    }

    /// Opens the fleet's log for the master of ceremonies, signing through the ceremony's own
    /// worker when an HSM holds the log key (its PIN is not asked again).
    func openTrail() async throws -> AuditTrail {
        var held: [String: any HSMEndpoint] = [:]
        if case .hsm(let name, _) = fleet.log?.key {
            held[name] = try await worker(name)
        }
        return try await AuditTrail.open(
            for: fleet, actor: actor(script.roles.master, auth: "present"), connector: connector, workers: held)
    }

    /// Closes every worker.
    public func closeWorkers() async {
        for worker in workers.values { await worker.close() }
        workers = [:]
    }

    /// The audit actor for a person of the ceremony.
    nonisolated func actor(_ person: String, auth: String) -> AuditActor {
        AuditActor(id: person, role: script.roles.role(of: person), auth: auth)
    }

    /// Records an entry of this run.
    @discardableResult
    func record(
        _ action: AuditAction, by person: String, auth: String = "present", step: String? = nil,
        inputs: [String: AuditDigest] = [:], outputs: [String: JSONValue] = [:], result: AuditResult = .ok,
        detail: [String: JSONValue] = [:]
    ) async throws -> AppendReceipt? {
        guard let trail else { throw CeremonyError.invalid("the ceremony log is not open") }
        return try await trail.record(
            AuditEntryDraft(
                action: action, actor: actor(person, auth: auth), ceremony: run, step: step, inputs: inputs,
                outputs: outputs, result: result, detail: detail))
    }

    /// Plans the steps not yet done, read-only; see ``CeremonyPlanner``.
    public func plan(skipping done: Set<String> = []) async throws -> CeremonyPlan {
        try await CeremonyPlanner(runner: self).plan(skipping: done)
    }

    /// Runs the ceremony (or, with `resume`, the rest of its failed run).
    ///
    /// - Returns: the final checkpoint.
    /// - Throws: ``CeremonyError`` (plan refused, a step failed, nothing to resume); nothing is
    ///   changed on any HSM before the plan has been accepted.
    public func execute(resume: Bool) async throws -> CeremonyOutcome {
        let done = try startRun(resume: resume)
        try inputs.preflight(
            script.steps.filter { !done.contains($0.id) }, roles: script.roles, transportLabel: fleet.transport.label)
        let plan = try await self.plan(skipping: done)
        guard plan.problems.isEmpty else { throw CeremonyError.planRefused(problems: plan.problems) }

        trail = try await openTrail()
        var current = CeremonyRunState(
            ceremony: script.name, run: run, script: script.digest.description, status: CeremonyRunState.running,
            rehearsal: rehearsal)
        try current.write(statePath)
        try await recordOpening(plan: plan, resume: resume, done: done)
        try await trail!.checkpoint()
        say("\(rehearsal ? "REHEARSAL " : "")ceremony \(script.name), run \(run)\(resume ? " (resumed)" : "")")
        // The witnesses compare these words with those of the plan they reviewed (`ceremony plan`).
        say("plan digest  \(plan.digest)\nplan words   \(plan.words)")

        var completed = script.steps.map(\.id).filter(done.contains)
        for (index, step) in script.steps.enumerated() where !done.contains(step.id) {
            say("step \(index + 1)/\(script.steps.count) [\(step.id)] \(step.title)")
            try await record(
                .ceremonyStepBegin, by: step.by, step: step.id,
                detail: ["action": .string(step.action.name), "title": .string(step.title)])
            do {
                let result = try await perform(step)
                outputs[step.id] = result
                try await record(
                    .ceremonyStep, by: step.by, step: step.id, outputs: result,
                    detail: ["action": .string(step.action.name)])
                let receipt = try await trail!.checkpoint()
                completed.append(step.id)
                say("  done; checkpoint \(receipt.map { "size \($0.size)" } ?? "")")
            } catch {
                throw await stop(at: step, cause: error, completed: completed, state: &current)
            }
        }
        let final = try await trail!.checkpoint()
        try await trail!.close()
        trail = nil
        current.status = CeremonyRunState.closed
        try current.write(statePath)
        let head = final ?? CheckpointReceipt(size: 0, rootHash: TreeHasher.emptyRoot, note: "")
        return CeremonyOutcome(run: run, completed: completed, checkpointSize: head.size, rootHash: head.rootHash)
    }

    /// Sets `run` (a new one, or the failed one being resumed) and returns the steps it has
    /// completed, whose outputs it restores from the log.
    /// - Throws: ``CeremonyError`` when a run is unfinished and `resume` is not set, or when the
    ///   run cannot be resumed (none, another script, a rehearsal mismatch, a log that does not verify).
    private func startRun(resume: Bool) throws -> Set<String> {
        let state = try CeremonyRunState.read(statePath)
        guard resume else {
            if let state, state.status != CeremonyRunState.closed {
                throw CeremonyError.unfinishedRun(run: state.run, statePath: statePath)
            }
            run = "\(script.name)/\(Hex.random(byteCount: 8))"
            return []
        }
        guard let state, state.status != CeremonyRunState.closed else {
            throw CeremonyError.cannotResume("no unfinished run of \(script.name) (\(statePath))")
        }
        guard state.script == script.digest.description else {
            throw CeremonyError.cannotResume(
                "the ceremony file changed since run \(state.run) began (\(state.script), now \(script.digest)); "
                    + "a changed script is a new ceremony")
        }
        guard state.rehearsal == rehearsal else {
            throw CeremonyError.cannotResume("run \(state.run) was \(state.rehearsal ? "" : "not ")a rehearsal")
        }
        let report = try LogVerifier(directory: LogDirectory(path: logDirectory)).verify()
        guard report.isValid else {
            throw CeremonyError.logInvalid(report.primary.map { "\($0)" } ?? "unknown finding")
        }
        run = state.run
        let history = try CeremonyRunRecord.read(logDirectory: logDirectory, run: run)
        outputs = history.completed
        return Set(history.completed.keys)
    }

    /// Records `ceremony.open` (with the roles and steps) or, for a resumed run, `ceremony.resume`
    /// (with the steps already done).
    private func recordOpening(plan: CeremonyPlan, resume: Bool, done: Set<String>) async throws {
        var digests = ["script": script.digest]
        if let fleetDigest = fleet.fileDigest { digests["config"] = fleetDigest }
        let common: [String: JSONValue] = [
            "plan": .string(plan.digest.description), "rehearsal": .bool(rehearsal), "mode": .string(inputs.mode),
            "name": .string(script.name),
        ]
        if resume {
            try await record(
                .ceremonyResume, by: script.roles.master, inputs: digests,
                detail: common.merging([
                    "completed": .array(script.steps.map(\.id).filter(done.contains).map(JSONValue.string))
                ]) { a, _ in a })
        } else {
            var roles: [String: JSONValue] = [
                "master": .string(script.roles.master),
                "custodians": .array(script.roles.custodians.map(JSONValue.string)),
                "threshold": .integer(Int64(script.roles.threshold)),
                "witnesses": .array(script.roles.witnesses.map { .string($0.name) }),
            ]
            roles["steps"] = .array(script.steps.map { .string($0.id) })
            try await record(
                .ceremonyOpen, by: script.roles.master, inputs: digests,
                detail: common.merging(["roles": .object(roles)]) { a, _ in a })
        }
    }

    /// Records the failed step, signs what was logged, marks the run failed and closes the log:
    /// the stop is on record before the operator reads it.
    /// - Returns: the ``CeremonyStopped`` to throw.
    private func stop(
        at step: CeremonyStep, cause error: any Error, completed: [String], state current: inout CeremonyRunState
    ) async -> CeremonyStopped {
        let category = (error as? any CategorizedError)?.category ?? .runtime
        let resultValue: AuditResult = category == .invalidInput ? .refused : .failed
        _ = try? await record(
            .ceremonyStep, by: step.by, step: step.id, result: resultValue,
            detail: ["action": .string(step.action.name), "error": .string("\(error)")])
        _ = try? await trail!.checkpoint()
        current.status = CeremonyRunState.failed
        try? current.write(statePath)
        try? await trail!.close()
        trail = nil
        let notDone = script.steps.map(\.id).filter { !completed.contains($0) && $0 != step.id }
        return CeremonyStopped(
            run: run, failedStep: step.id, completed: completed, notDone: notDone, cause: error,
            category: category, rehearsal: rehearsal)
    }
}

/// A ceremony that ran to its close.
public struct CeremonyOutcome: Sendable {
    public let run: String
    public let completed: [String]
    public let checkpointSize: UInt64
    public let rootHash: MerkleHash
}

/// A ceremony stopped at a failing step: what was done, what failed, what was not done.
public struct CeremonyStopped: CategorizedError {
    public let run: String
    public let failedStep: String
    public let completed: [String]
    public let notDone: [String]
    public let cause: any Error
    public let category: FailureCategory
    /// A rehearsal's tokens are gone when it stops: it is rehearsed again, never resumed.
    public let rehearsal: Bool

    public var description: String {
        """
        the ceremony stopped at step \(failedStep): \(cause)
          run:      \(run)
          done:     \(completed.isEmpty ? "nothing" : completed.joined(separator: ", "))
          failed:   \(failedStep) (its effects, if any, are recorded in the log)
          not done: \(notDone.isEmpty ? "nothing" : notDone.joined(separator: ", "))
          \(rehearsal ? "this was a rehearsal: fix the cause and rehearse again" : "after a fix, continue with: hsmsync ceremony run FILE --resume")
        """
    }
}
