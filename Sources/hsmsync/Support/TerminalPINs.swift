import HSMSyncCore
import HSMSyncModel
import SecureMemory

/// PINs for the command line: `env:` and `file:` sources as the engine reads them, and `prompt`
/// sources at a hidden prompt on the terminal, one at a time (HSMs are opened in parallel, a person
/// types one PIN at a time).
struct TerminalPINs: PINProvider {
    private let promptLock = PromptLock()

    func pin(for hsm: HSMConfiguration, token: TokenDescription) async throws(HSMError) -> PIN {
        guard case .prompt = hsm.pin else { return try await SourcePINs().pin(for: hsm, token: token) }
        let prompt = "PIN for HSM \(hsm.name) (token \"\(token.label)\", serial \(token.serialNumber)): "
        do {
            return try promptLock.withLock { () throws -> PIN in
                PIN(try SecretPrompt.read(prompt: prompt, maximumLength: PINSource.maximumLength))
            }
        } catch {
            let failure = PINSourceError.promptFailed(hsm: hsm.name, reason: "\(error)")
            throw HSMError(hsm: hsm.name, .pinUnavailable(reason: failure.description))
        }
    }
}
