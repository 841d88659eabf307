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
    @Option(
        help: "How many keys: with more than one, key i is labelled <label>-<i>, its CKA_ID <id> then i as two bytes.")
    var count = 1

    func run() async throws {
        let fleet = try Fleet.load(from: fleet)
        guard let configuration = fleet.hsm(named: hsm) else { throw ValidationError("no HSM named \(hsm)") }
        let baseID = try Self.hex(id)
        guard (1...65_536).contains(count) else { throw ValidationError("--count must be 1 to 65536") }
        let keys: [(label: String, id: [UInt8])] =
            count == 1
            ? [(label, baseID)]
            : (0..<count).map { ("\(label)-\($0)", baseID + [UInt8($0 >> 8), UInt8($0 & 0xff)]) }
        let connector = FleetConnector(logger: Logger(label: "demo-ca"))
        let connection = await connector.connect([configuration], readWrite: true)[0]
        guard let worker = connection.endpoint as? HSMWorker else { throw connection.error! }
        let kind = type
        try await worker.withSession { session in
            for key in keys { try Self.generate(kind, label: key.label, id: key.id, in: session) }
        }
        await worker.close()
        let what = count == 1 ? "key \"\(label)\" (id \(id))" : "\(count) keys \"\(label)-0\"…"
        print("generated \(kind.rawValue) \(what) in \(hsm)")
    }

    static func generate(_ kind: KeyKind, label: String, id idBytes: [UInt8], in session: borrowing Session) throws {
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
