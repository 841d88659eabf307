extension Fleet {
    /// The HSMs named (all when `names` is empty), in fleet order.
    ///
    /// - Throws: ``YAMLError`` naming the unknown HSM and the known ones (exit 2).
    public func select(_ names: [String]) throws -> [HSMConfiguration] {
        guard !names.isEmpty else { return hsms }
        for name in names where hsm(named: name) == nil {
            throw FleetSelectionError(name: name, known: hsms.map(\.name))
        }
        return hsms.filter { names.contains($0.name) }
    }
}

/// `--hsm NAME` names no HSM of the fleet.
public struct FleetSelectionError: CategorizedError, Hashable {
    public let name: String
    public let known: [String]
    public var category: FailureCategory { .invalidInput }
    public var description: String {
        "the fleet has no HSM named \"\(name)\" (it has: \(known.joined(separator: ", ")))"
    }

    package init(name: String, known: [String]) {
        self.name = name
        self.known = known
    }
}
