/// How a key of one class and type can go from one token to another: the first method of
/// ``WrapMethod/preference(for:keyType:)`` both tokens carry out, or why none can.
public enum WrapNegotiation {
    /// The outcome for one key kind and one pair of tokens.
    public enum Outcome: Sendable, Hashable {
        case method(WrapMethod)
        /// The key cannot go: the reason names the token and what it lacks.
        case impossible(String)

        public var method: WrapMethod? {
            if case .method(let method) = self { return method }
            return nil
        }
    }

    /// The method for a key of `objectClass`/`keyType` from `source` to `destination` (each a fleet
    /// name and its capabilities). A public key alone needs no wrap, only a token that holds its type.
    public static func negotiate(
        _ objectClass: ObjectKind, keyType: KeyAlgorithm?, from source: (name: String, capabilities: TokenCapabilities),
        to destination: (name: String, capabilities: TokenCapabilities)
    ) -> Outcome {
        if keyType == .ec {
            for side in [source, destination] where !side.capabilities.holdsEC {
                return .impossible("\(side.name) cannot hold EC keys (no CKM_EC_KEY_PAIR_GEN and CKM_ECDSA)")
            }
        }
        let preference = WrapMethod.preference(for: objectClass, keyType: keyType)
        if objectClass == .publicKey { return .method(preference[0]) }
        for method in preference
        where source.capabilities.mechanism(for: method) != nil
            && destination.capabilities.mechanism(for: method) != nil
        {
            return .method(method)
        }
        let wanted = preference.map(\.rawValue).joined(separator: " or ")
        let offered = { (side: (name: String, capabilities: TokenCapabilities)) -> String in
            let methods = WrapMethod.allCases.filter { side.capabilities.mechanism(for: $0) != nil }.map(\.rawValue)
            return "\(side.name) offers \(methods.isEmpty ? "none" : methods.joined(separator: ", "))"
        }
        return .impossible(
            "no wrap method both offer for \(objectClass.rawValue)s (\(wanted) needed; \(offered(source)), "
                + "\(offered(destination)))")
    }
}

/// What two tokens can exchange, per key kind: the document `fleet check --json` lists per pair.
public struct PairNegotiation: Sendable, Hashable, Codable {
    public let hsms: [String]
    /// AES secret keys.
    public let aes: String?
    /// Other secret keys and RSA private keys.
    public let rsa: String?
    /// EC private keys.
    public let ec: String?
    /// Why a kind cannot go, per kind (`aes`, `rsa`, `ec`).
    public let impossible: [String: String]

    /// Whether any key at all can go between the two.
    public var replicates: Bool { aes != nil || rsa != nil || ec != nil }

    public init(
        _ a: (name: String, capabilities: TokenCapabilities), _ b: (name: String, capabilities: TokenCapabilities)
    ) {
        hsms = [a.name, b.name]
        var impossible: [String: String] = [:]
        func outcome(_ kind: String, _ objectClass: ObjectKind, _ keyType: KeyAlgorithm) -> String? {
            // Both directions: a method is usable only when each side can wrap and unwrap with it.
            let there = WrapNegotiation.negotiate(objectClass, keyType: keyType, from: a, to: b)
            let back = WrapNegotiation.negotiate(objectClass, keyType: keyType, from: b, to: a)
            switch (there, back) {
            case (.method(let method), .method(let other)) where method == other:
                return method.rawValue
            case (.impossible(let reason), _), (_, .impossible(let reason)):
                impossible[kind] = reason
                return nil
            default:
                impossible[kind] = "the two directions negotiate different methods"
                return nil
            }
        }
        aes = outcome("aes", .secretKey, .aes)
        rsa = outcome("rsa", .privateKey, .rsa)
        ec = outcome("ec", .privateKey, .ec)
        self.impossible = impossible
    }
}
