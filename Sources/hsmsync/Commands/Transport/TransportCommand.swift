import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SecureMemory
import SignedLog

/// `hsmsync transport …`: establish, install and verify the fleet's transport key.
struct TransportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Establish, install and verify the fleet's transport key.",
        discussion: """
            The transport key is an AES-256 key that may only wrap and unwrap, present in every HSM under the \
            fleet's transport label. Create it on one HSM with custodian shares (create), load it into another \
            HSM from M shares (install), agree it between two online HSMs by ECDH (agree), and prove that every \
            HSM holds the same, locked-down key (verify). See docs/transport-key.md.

            Example: hsmsync transport verify --fleet fleet.yaml
            """,
        subcommands: [
            TransportCreateCommand.self, TransportInstallCommand.self, TransportAgreeCommand.self,
            TransportVerifyCommand.self,
        ]
    )
}

extension Environment {
    /// Opens a read-write worker for the fleet HSM called `name`.
    ///
    /// - Throws: ``TransportError/invalidHSMSelection(_:)`` for a name the fleet lacks; the
    ///   ``HSMError`` of a failed connection (unreachable, wrong PIN: exit 3).
    func worker(named name: String, in fleet: Fleet, readWrite: Bool = true) async throws -> any HSMEndpoint {
        try await workers(named: [name], in: fleet, readWrite: readWrite)[0]
    }

    /// Opens workers (read-write unless told) for the fleet HSMs called `names`, in parallel.
    func workers(named names: [String], in fleet: Fleet, readWrite: Bool = true) async throws -> [any HSMEndpoint] {
        let hsms = try names.map { name in
            guard let hsm = fleet.hsm(named: name) else {
                let known = fleet.hsms.map(\.name).joined(separator: ", ")
                throw TransportError.invalidHSMSelection(
                    "the fleet \(fleet.name) has no HSM called \(name) (its HSMs: \(known))")
            }
            return hsm
        }
        let connections = await connector.connect(hsms, readWrite: readWrite)
        if let failure = connections.compactMap(\.error).first {
            for connection in connections {
                await connection.endpoint?.close()
            }
            throw failure
        }
        return connections.compactMap(\.endpoint)
    }
}
