import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync reconcile --fleet F [--apply] [--json]`.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Copy missing keys to every HSM that lacks them, wrapped under the transport key.",
        discussion: """
            Audits the fleet and plans from its findings: each missing key goes from a holder (a primary first, \
            else a member) to every HSM lacking it. Conflicts (material-mismatch), extras, unsyncable keys and \
            HSMs whose transport key is missing or differs are never touched; they are reported. Without --apply \
            the plan is printed and nothing changes. With --apply every copy is journaled, wrapped, enveloped, \
            staged as a session object, verified, promoted and logged; a second run changes nothing; an \
            interrupted run is completed or rolled back by the next. Ctrl-C (SIGINT) or SIGTERM during --apply \
            lets the copy in flight finish, starts no other, prints what was copied and what was not done (the \
            JSON document with --json) and exits 3; a second one stops at once. --apply holds the fleet's lock \
            (state.dir/reconcile.lock, and in the service's database when service.database is PostgreSQL): \
            while another reconcile, a service run or a backup restore --apply of the fleet runs it is refused \
            (exit 3), naming the holder. Exit 0 parity afterwards, 1 conflicts, unsyncable keys or other drift remain, \
            2 invalid input, 3 failures (an HSM unreachable, a copy failed). See docs/runbooks/reconcile.md.

            Example: hsmsync reconcile --fleet fleet.yaml (the plan), then hsmsync reconcile --fleet fleet.yaml --apply
            """
    )

    @OptionGroup var fleetOptions: FleetOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .long, help: "Carry out the plan (without it, nothing changes).")
    var apply = false

    func run() async throws {
        let fleet = try fleetOptions.load()
        let progress = ProgressBar()
        // Only a run that changes HSMs stops between copies; a plan is simply ended by the signal.
        let stop = apply ? StopSignals.install() : nil
        let events = EngineEvents { event in
            progress.events.emit(event)
            if case .copyFinished(let copy) = event, let stop { TestHooks.copyFinished(done: copy.done, stop: stop) }
        }
        let report = try await DatabaseFleetLock.holding(fleet, command: "reconcile --apply", when: apply) {
            try await ReconcileRun(connector: Environment.shared.connector)
                .run(fleet, apply: apply, events: events, stop: stop)
        }
        progress.finish()
        if output.json {
            try JSONOutput.print(report)
        } else {
            ReconcileRenderer.render(report)
        }
        switch report.status {
        case .parity: return
        case .drift: throw ExitStatus.driftOrIntegrityFailure.exitCode
        case .error: throw ExitStatus.runtimeFailure.exitCode
        }
    }
}
