import Foundation
import Glibc
import HSMSyncCore
import HSMSyncModel
import SecureMemory
import SignedLog

/// People answer at the controlling terminal: confirmations and names are typed visibly (they are
/// not secret and the room should see them), shares at a hidden prompt, new shares shown one
/// custodian at a time by ``CustodianScreen``.
struct TerminalCeremonyInputs: CeremonyInputs {
    var mode: String { "interactive" }
    var allowsRetry: Bool { true }

    struct Failure: CategorizedError {
        let description: String
        var category: FailureCategory { .invalidInput }
    }

    func line(step: String, person: String, prompt: String) throws -> String {
        let terminal = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        guard terminal >= 0 else {
            throw Failure(
                description: "step \(step) needs \(person) at a terminal, and there is none (use --inputs DIR)")
        }
        defer { close(terminal) }
        let text = "\n[\(step)] \(person): \(prompt): "
        _ = text.withCString { Glibc.write(terminal, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(terminal, &byte, 1) == 1 {
            if byte == 0x0A || byte == 0x0D { break }
            if bytes.count < 1024 { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    func share(step: String, custodian: String, number: Int, count: Int, label: String) throws -> SecretBytes {
        do {
            return try SecretPrompt.read(
                prompt: "\n[\(step)] \(custodian) (share \(number) of \(count)): type your share, then Enter "
                    + "(nothing is shown): ",
                maximumLength: 4096)
        } catch {
            throw Failure(description: "step \(step): no share from \(custodian): \(error.description)")
        }
    }

    func deliver(_ generated: GeneratedTransportKey, custodians: [String], fleet: String) throws -> [String] {
        for (index, custodian) in custodians.enumerated() {
            Console.out("  share \(index + 1) goes to \(custodian)")
        }
        try CustodianScreen().show(generated, fleet: fleet)
        return []
    }

    func witnessKeyPath(step: String, witness: String) throws -> String {
        try line(step: step, person: witness, prompt: "path of your witness key file")
    }
}
