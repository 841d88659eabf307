public import HSMSyncModel

/// Opens ``InMemoryEndpoint``s on the tokens named by HSM; an HSM without a token is unreachable.
public struct InMemoryConnector: HSMConnector {
    public let tokens: [String: InMemoryToken]

    public init(tokens: [String: InMemoryToken]) {
        self.tokens = tokens
    }

    public func connect(_ hsms: [HSMConfiguration], readWrite: Bool, options: ConnectOptions) async -> [HSMConnection] {
        hsms.map { hsm in
            guard let token = tokens[hsm.name] else {
                return .failed(hsm, HSMError(hsm: hsm.name, .unreachable(reason: "no in-memory token")))
            }
            return .connected(InMemoryEndpoint(configuration: hsm, token: token, readWrite: readWrite))
        }
    }
}
