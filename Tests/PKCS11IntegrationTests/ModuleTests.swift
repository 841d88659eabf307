import Foundation
import HSMSyncTesting
import PKCS11
import Testing

@Suite("Module loading and slots (SoftHSM2)")
struct ModuleTests {
    @Test("C_Initialize and C_GetInfo on SoftHSM2")
    func libraryInfo() async throws {
        let module = try await SoftHSMFixture.shared.module()
        let info = try module.info()
        #expect(info.manufacturer == "SoftHSM")
        #expect(info.cryptokiVersion.major == 2)
    }

    @Test("A module path that does not exist is refused with the path and dlerror's text")
    func missingLibrary() async throws {
        let registry = ModuleRegistry()
        let path = "/nonexistent/libnothing.so"
        await #expect {
            try await registry.module(path: path)
        } throws: { error in
            guard case LoadError.libraryNotLoadable(let failedPath, let dlerror) = error else { return false }
            return failedPath == path && dlerror.contains("No such file") && "\(error)".contains(path)
        }
    }

    @Test("A shared library without C_GetFunctionList is not a PKCS#11 module")
    func notAModule() async throws {
        let registry = ModuleRegistry()
        let library = try #require(
            [
                "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1",
                "/usr/lib/aarch64-linux-gnu/libz.so.1",
            ]
            .first(where: FileManager.default.fileExists(atPath:)))
        await #expect {
            try await registry.module(path: library)
        } throws: { error in
            guard case LoadError.notAPKCS11Module(let path, let dlerror) = error else { return false }
            return path == library && dlerror.contains("C_GetFunctionList")
        }
    }

    @Test("A file that is not a shared library is refused with dlerror's text")
    func notALibrary() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("garbage.so")
        try Data("not an ELF file".utf8).write(to: URL(fileURLWithPath: path))
        await #expect {
            try await ModuleRegistry().module(path: path)
        } throws: { error in
            guard case LoadError.libraryNotLoadable(_, let dlerror) = error else { return false }
            return !dlerror.isEmpty
        }
    }

    @Test("The registry loads a module once and hands out the same instance")
    func registryCaches() async throws {
        let registry = SoftHSMFixture.shared.registry
        let first = try await registry.module(path: SoftHSMConfiguration.modulePath)
        let second = try await registry.module(path: SoftHSMConfiguration.modulePath)
        #expect(first === second)
    }

    @Test("Slots, slot info, token info")
    func slotsAndTokens() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("slots")
        let module = try await SoftHSMFixture.shared.module()
        let slots = try module.slots()
        #expect(!slots.isEmpty)
        let match = try #require(try module.tokens(matching: token.uri).first)
        let slotInfo = try module.slotInfo(match.slot)
        #expect(slotInfo.isTokenPresent)
        let info = try module.tokenInfo(match.slot)
        #expect(info.label == token.label)
        #expect(info.serialNumber == token.serialNumber)
        #expect(info.model == "SoftHSM v2")
        #expect(info.flags.contains(.tokenInitialized))
        #expect(info.flags.contains(.userPINInitialized))
        #expect(info.flags.contains(.loginRequired))
        #expect(info.maxPINLength >= 4)
    }

    @Test("An invalid slot gives CKR_SLOT_ID_INVALID with the function name")
    func invalidSlot() async throws {
        let module = try await SoftHSMFixture.shared.module()
        #expect(throws: PKCS11Error(code: .slotIDInvalid, function: .getTokenInfo)) {
            try module.tokenInfo(SlotID(rawValue: 0xdead_beef))
        }
    }

    @Test("Mechanism list and mechanism info")
    func mechanisms() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("mech")
        let module = try await SoftHSMFixture.shared.module()
        let slot = try #require(try module.tokens(matching: token.uri).first).slot
        let list = try module.mechanisms(slot)
        for needed: MechanismType in [
            .aesKeyWrap, .aesKeyWrapPad, .aesCMAC, .ecdsa, .eddsa, .ecdh1Derive, .rsaPKCSOAEP,
        ] {
            #expect(list.contains(needed), "SoftHSM2 lacks \(needed)")
        }
        let wrap = try module.mechanismInfo(.aesKeyWrap, slot: slot)
        #expect(wrap.flags.contains(.wrap) && wrap.flags.contains(.unwrap))
        #expect(wrap.maximumKeySize >= 32)
        let derive = try module.mechanismInfo(.ecdh1Derive, slot: slot)
        #expect(derive.flags.contains(.derive))
    }

    @Test("Tokens are selected by URI: label, serial, none, several")
    func tokenSelection() async throws {
        let first = try await SoftHSMFixture.shared.makeToken("sel")
        let module = try await SoftHSMFixture.shared.module()
        #expect(try module.tokens(matching: first.uri).count == 1)
        let bySerial = try TokenURI("pkcs11:serial=\(first.serialNumber)")
        #expect(try module.tokens(matching: bySerial).map(\.token.label) == [first.label])
        let both = try TokenURI("pkcs11:token=\(first.label);serial=\(first.serialNumber)")
        #expect(try module.tokens(matching: both).count == 1)
        let wrongSerial = try TokenURI("pkcs11:token=\(first.label);serial=0000000000000000")
        #expect(try module.tokens(matching: wrongSerial).isEmpty)
        #expect(try module.tokens(matching: TokenURI("pkcs11:token=no-such-token-anywhere")).isEmpty)
        // Every SoftHSM2 token has this model: a URI by model matches all test tokens.
        #expect(try module.tokens(matching: TokenURI("pkcs11:model=SoftHSM%20v2")).count >= 1)
    }
}
