public import HSMSyncModel
import PKCS11

extension FleetConnector {
    /// The tokens `module` offers, in slot order: what an operator needs to write a fleet file's
    /// `token:` without pkcs11-tool. No session is opened and no PIN asked.
    ///
    /// - Throws: ``HSMError`` (named after the module path) when the module cannot be loaded or its
    ///   slots listed; a slot whose token cannot be read is left out.
    public func tokens(module path: String) async throws(HSMError) -> [DiscoveredToken] {
        let module: PKCS11Module
        do {
            module = try await registry.module(path: path)
        } catch {
            throw HSMError(hsm: path, .moduleNotLoadable(reason: "\(error)"))
        }
        let slots: [SlotID]
        do {
            slots = try module.slots(withTokenPresent: true)
        } catch {
            throw HSMError(hsm: path, .device(DeviceError(error), operation: "listing slots"))
        }
        return slots.compactMap { slot in
            guard let token = try? module.tokenInfo(slot) else { return nil }
            return DiscoveredToken(
                slot: slot.rawValue, initialized: token.flags.contains(.tokenInitialized), label: token.label,
                serial: token.serialNumber, manufacturer: token.manufacturer, model: token.model)
        }.sorted { $0.slot < $1.slot }
    }
}
