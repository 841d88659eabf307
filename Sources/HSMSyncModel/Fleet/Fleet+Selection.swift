extension Fleet {
    /// The HSMs named (all when `names` is empty), in fleet order. Each may be a fleet name or a
    /// token URI (``resolve(_:)``).
    ///
    /// - Throws: ``FleetSelectionError`` naming the unknown HSM and the known ones (exit 2).
    public func select(_ names: [String]) throws -> [HSMConfiguration] {
        guard !names.isEmpty else { return hsms }
        let chosen = Set(try names.map { try resolve($0).name })
        return hsms.filter { chosen.contains($0.name) }
    }

    /// The fleet name `--hsm` means: a token URI resolved (``resolve(_:)``), a name as given (the
    /// command says itself when the fleet has no such HSM).
    public func hsmName(for nameOrURI: String) throws -> String {
        nameOrURI.hasPrefix("pkcs11:") ? try resolve(nameOrURI).name : nameOrURI
    }

    /// The HSM `nameOrURI` designates: a fleet name, or a PKCS#11 token URI (`pkcs11:token=dr`)
    /// whose every attribute the HSM's own `token:` URI names with the same value.
    ///
    /// - Throws: ``FleetSelectionError`` when no HSM, or several, fit (exit 2).
    public func resolve(_ nameOrURI: String) throws -> HSMConfiguration {
        if let hsm = hsm(named: nameOrURI) { return hsm }
        guard nameOrURI.hasPrefix("pkcs11:") else {
            throw FleetSelectionError(name: nameOrURI, known: hsms.map(\.name))
        }
        let uri: TokenSelector
        do { uri = try TokenSelector(nameOrURI) } catch {
            throw FleetSelectionError(name: nameOrURI, known: hsms.map(\.name), reason: error.description)
        }
        let fitting = hsms.filter { hsm in
            let own = hsm.token
            return uri.label.map { $0 == own.label } ?? true
                && uri.serialNumber.map { $0 == own.serialNumber } ?? true
                && uri.model.map { $0 == own.model } ?? true
                && uri.manufacturer.map { $0 == own.manufacturer } ?? true
        }
        guard fitting.count == 1 else {
            throw FleetSelectionError(
                name: nameOrURI, known: hsms.map { "\($0.name) (\($0.token.text))" },
                reason: fitting.isEmpty
                    ? "no HSM's token: URI names those attributes with those values"
                    : "it fits \(fitting.map(\.name).joined(separator: ", ")): add an attribute")
        }
        return fitting[0]
    }
}

/// `--hsm NAME` (or a token URI) names no HSM of the fleet, or several.
public struct FleetSelectionError: CategorizedError, Hashable {
    public let name: String
    public let known: [String]
    public let reason: String?
    public var category: FailureCategory { .invalidInput }
    public var description: String {
        if let reason {
            return
                "\"\(name)\" selects no single HSM of the fleet (\(reason)); it has: \(known.joined(separator: ", "))"
        }
        return "the fleet has no HSM named \"\(name)\" (it has: \(known.joined(separator: ", ")))"
    }

    package init(name: String, known: [String], reason: String? = nil) {
        self.name = name
        self.known = known
        self.reason = reason
    }
}
