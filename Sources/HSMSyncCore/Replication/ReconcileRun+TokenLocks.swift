import HSMSyncModel

extension ReconcileRun {
    /// How long a run that holds some of its tokens' locks, but not all, keeps trying for the rest.
    static let partialLockPatience: Duration = .seconds(15)

    /// Opens the fleet's HSMs; with `readWrite`, every token's lock or none.
    ///
    /// Locks are taken as the HSMs open, in parallel, so two runs over the same tokens (two fleet
    /// files, a reconcile and a restore) can each win some of them and would both be refused. A run
    /// that won only some gives them back and tries the whole set again after a random pause, until
    /// one of the two holds everything; the other then finds every token taken and is refused at
    /// once, the holder named. A run that won none is refused at once too.
    ///
    /// - Throws: the first ``HSMError`` naming a locked token, with every endpoint closed.
    func connectLockingAll(_ fleet: Fleet, readWrite: Bool) async throws -> [HSMConnection] {
        let deadline = ContinuousClock.now.advanced(by: Self.partialLockPatience)
        while true {
            let connections = await connector.connect(fleet.hsms, readWrite: readWrite, options: options)
            guard let locked = connections.compactMap(\.error).first(where: \.isTokenLocked) else {
                return connections
            }
            await Self.close(connections)
            let heldSome = connections.contains { $0.endpoint != nil }
            guard heldSome, ContinuousClock.now < deadline else { throw locked }
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...250)))
        }
    }
}
