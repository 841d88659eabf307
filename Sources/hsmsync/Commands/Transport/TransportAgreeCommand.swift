import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync transport agree --fleet F --from A --to B`.
struct TransportAgreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agree",
        abstract: "Establish the same transport key on two online HSMs by ECDH, without it leaving them.",
        discussion: """
            Each HSM makes an ephemeral EC key pair (P-384 where both offer it, else P-256) as session objects; \
            hsmsync validates each public point before the other HSM derives with it. Both HSMs first derive a \
            session copy and must show equal check values (key confirmation) before the transport key is \
            derived as a token object, read back and confirmed again. CKD_SHA256_KDF is used where both tokens \
            offer it; otherwise (SoftHSM2) CKD_NULL, which is not an SP 800-56C key derivation and is reported \
            as such. Nothing is changed when either HSM already holds an object with the transport label; on \
            any failure the keys this run derived are destroyed.

            Example: hsmsync transport agree --fleet fleet.yaml --from primary-1 --to member-1
            """
    )

    @OptionGroup var fleetOptions: FleetOptions

    @Option(name: .long, help: ArgumentHelp("One HSM.", valueName: "name"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("The other HSM.", valueName: "name"))
    var to: String

    func validate() throws {
        guard from != to else { throw ValidationError("--from and --to must name two different HSMs") }
    }

    func run() async throws {
        let fleet = try fleetOptions.load()
        let environment = Environment.shared
        let trail = try await environment.trail(for: fleet)
        let workers: [any HSMEndpoint]
        do { workers = try await environment.workers(named: [from, to], in: fleet) } catch {
            await trail.fail(.transportAgree, hsms: [from, to], error: error)
            throw error
        }
        do {
            let agreement = TransportKeyAgreement(label: fleet.transport.label, fleet: fleet.name)
            let result = try await agreement.run(from: workers[0], to: workers[1])
            for worker in workers { await worker.close() }
            try await trail.recordOutcome(.transportAgree, result)
            try await trail.close()
            TransportRenderer.renderAgreed(result)
        } catch {
            for worker in workers { await worker.close() }
            await trail.fail(.transportAgree, hsms: [from, to], error: error)
            throw error
        }
    }
}
