import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import Logging
import PKCS11
import PKCS11Endpoint
import SignedLog

/// Stands in for the CA software of the demo: generates a key inside one HSM of a fleet, the way an
/// EJBCA or DNSSEC signer would. Not part of hsmsync; `Scripts/demo` uses it to create drift.
@main
struct DemoCA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hsmsync-demo-ca",
        abstract: "Demo only: generate a CA key inside one HSM of a fleet (as a CA would).")

    enum KeyKind: String, ExpressibleByArgument, CaseIterable {
        case ecP256 = "ec-p256"
        case rsa2048 = "rsa-2048"
        case aes256 = "aes-256"
    }

    @Option(help: "The fleet file.") var fleet: String
    @Option(help: "The HSM to generate the key in.") var hsm: String
    @Option(help: "CKA_LABEL of the new key.") var label: String
    @Option(help: "CKA_ID as hex.") var id: String
    @Option(help: "ec-p256, rsa-2048 or aes-256.") var type: KeyKind

    func run() async throws {
        let fleet = try Fleet.load(from: fleet)
        guard let configuration = fleet.hsm(named: hsm) else { throw ValidationError("no HSM named \(hsm)") }
        let idBytes = try Self.hex(id)
        let connector = FleetConnector(logger: Logger(label: "demo-ca"))
        let connection = await connector.connect([configuration], readWrite: true)[0]
        guard let worker = connection.endpoint as? HSMWorker else { throw connection.error! }
        let label = label
        let kind = type
        try await worker.withSession { session in
            let common: [Attribute] = [
                .bool(.token, true), .label(label), .id(idBytes), .bool(.private, true), .bool(.sensitive, true),
                .bool(.extractable, true), .bool(.wrapWithTrusted, false),
            ]
            switch kind {
            case .ecP256:
                _ = try session.generateKeyPair(
                    .ecKeyPairGen,
                    publicKeyTemplate: [
                        .bytes(.ecParams, [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
                        .bool(.token, true), .label(label), .id(idBytes), .bool(.verify, true), .bool(.encrypt, false),
                        .bool(.wrap, false), .bool(.verifyRecover, false), .bool(.derive, false),
                    ],
                    privateKeyTemplate: common + [
                        .bool(.sign, true), .bool(.decrypt, false), .bool(.unwrap, false), .bool(.signRecover, false),
                        .bool(.derive, false),
                    ])
            case .rsa2048:
                _ = try session.generateKeyPair(
                    .rsaKeyPairGen,
                    publicKeyTemplate: [
                        .ulong(.modulusBits, 2048), .bytes(.publicExponent, [1, 0, 1]), .bool(.token, true),
                        .label(label), .id(idBytes), .bool(.verify, true), .bool(.encrypt, false), .bool(.wrap, false),
                        .bool(.verifyRecover, false),
                    ],
                    privateKeyTemplate: common + [
                        .bool(.sign, true), .bool(.decrypt, false), .bool(.unwrap, false), .bool(.signRecover, false),
                    ])
            case .aes256:
                _ = try session.generateKey(
                    .aesKeyGen,
                    template: common + [
                        .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.encrypt, true),
                        .bool(.decrypt, true), .bool(.sign, false), .bool(.verify, false), .bool(.wrap, false),
                        .bool(.unwrap, false), .bool(.derive, false),
                    ])
            }
        }
        await worker.close()
        print("generated \(kind.rawValue) key \"\(label)\" (id \(id)) in \(hsm)")
    }

    static func hex(_ text: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw ValidationError("--id must be hex") }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw ValidationError("--id must be hex")
            }
            return byte
        }
    }
}
