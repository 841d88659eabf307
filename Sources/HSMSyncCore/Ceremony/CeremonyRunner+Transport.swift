import Foundation
import HSMSyncModel
import SLIP39
import SignedLog

/// The fleet-check and transport-key steps.
extension CeremonyRunner {
    func fleetCheck(_ step: CeremonyStep, hsms: [ExpectedToken], mechanisms: [String]) async throws
        -> [String: JSONValue]
    {
        var results: [String: JSONValue] = [:]
        var problems: [String] = []
        for expected in hsms {
            let worker = try await worker(expected.hsm)
            let token = await worker.token()
            let serial = token?.serialNumber ?? ""
            if let wanted = expected.serial, wanted != serial {
                if rehearsal {
                    say("  \(expected.hsm): serial \(serial) (rehearsal token; the ceremony expects \(wanted))")
                } else {
                    problems.append("\(expected.hsm): token serial \(serial), the ceremony expects \(wanted)")
                }
            }
            let offered = Set(try await worker.mechanisms().map(\.rawValue))
            let missing = mechanisms.filter { !offered.contains($0) }
            if !missing.isEmpty {
                problems.append("\(expected.hsm) does not offer \(missing.joined(separator: ", "))")
            }
            results[expected.hsm] = .object([
                "serial": .string(serial), "token_label": .string(token?.label ?? ""),
                "model": .string(token?.model ?? ""), "missing_mechanisms": .array(missing.map(JSONValue.string)),
            ])
            say(
                "  \(expected.hsm): token \"\(token?.label ?? "")\" serial \(serial), \(missing.isEmpty ? "all mechanisms offered" : "missing \(missing.joined(separator: ", "))")"
            )
        }
        guard problems.isEmpty else {
            throw CeremonyError.stepFailed(step: step.id, reason: problems.joined(separator: "; "), category: .runtime)
        }
        return ["hsms": .object(results), "mechanisms": .array(mechanisms.map(JSONValue.string))]
    }

    func transportCreate(
        _ step: CeremonyStep, hsm: String, shares: Int, threshold: Int
    ) async throws -> [String: JSONValue] {
        let parameters = try TransportShareParameters(threshold: threshold, count: shares)
        let worker = try await worker(hsm)
        let label = fleet.transport.label
        let generated = try await TransportKeyCreation(label: label, parameters: parameters).generate(on: worker)
        let custodians = script.roles.custodians
        let written = try inputs.deliver(generated, custodians: custodians, fleet: fleet.name)
        let result: TransportKeyInstallResult
        do {
            result = try await TransportKeyInstaller(label: label).install(generated.material, on: worker)
        } catch {
            ShareFilePlan.remove(written)
            say("  the key was NOT installed: the shares handed out are worthless and must be destroyed")
            throw error
        }
        for (index, custodian) in custodians.enumerated() {
            try await record(
                .ceremonyShareIssued, by: custodian, step: step.id,
                outputs: [
                    "share": .integer(Int64(index + 1)), "of": .integer(Int64(shares)),
                    "set": .integer(Int64(result.shareSet.identifier)),
                ])
        }
        say("  KCV \(result.kcv) (\(result.kcvWords.joined(separator: " "))), check value \(result.checkValue)")
        return installOutputs(result)
    }

    func installOutputs(_ result: TransportKeyInstallResult) -> [String: JSONValue] {
        var outputs: [String: JSONValue] = [
            "hsm": .string(result.hsm.hsm), "serial": .string(result.hsm.tokenSerial), "label": .string(result.label),
            "kcv": .string(result.kcv), "kcv_words": .string(result.kcvWords.joined(separator: " ")),
            "check_value": .string(result.checkValue), "share_set": .integer(Int64(result.shareSet.identifier)),
            "threshold": .integer(Int64(result.shareSet.threshold)),
            "import_method": .string(result.importMethod.mechanism),
            "warnings": .array(result.warnings.map(JSONValue.string)),
        ]
        if let count = result.shareSet.count { outputs["shares"] = .integer(Int64(count)) }
        return outputs
    }

    func transportInstall(_ step: CeremonyStep, hsm: String, custodians: [String], kcv: KCVSource)
        async throws -> [String: JSONValue]
    {
        let worker = try await worker(hsm)
        let label = fleet.transport.label
        let installer = TransportKeyInstaller(label: label)
        try await installer.preflight(on: worker)
        let expectedText: String
        switch kcv {
        case .value(let text): expectedText = text
        case .step(let reference):
            guard let recorded = outputs[reference]?["kcv"]?.stringValue else {
                throw CeremonyError.stepFailed(
                    step: step.id, reason: "step \(reference) recorded no KCV", category: .invalidInput)
            }
            expectedText = recorded
        case .prompt:
            expectedText = try inputs.line(
                step: step.id, person: script.roles.master,
                prompt: "Key check value from the ceremony record (10 hex digits)")
        }
        let expected = try KeyCheckValue(hex: expectedText)
        var recovery = ShareRecovery()
        let count = script.roles.custodians.count
        for custodian in custodians {
            let number = (script.roles.custodians.firstIndex(of: custodian) ?? 0) + 1
            var refusals = 0
            while true {
                let text = try inputs.share(
                    step: step.id, custodian: custodian, number: number, count: count, label: label)
                let accepted: ShareMetadata
                do {
                    accepted = try recovery.add(text)
                } catch {
                    refusals += 1
                    guard inputs.allowsRetry, refusals < 3 else {
                        throw TransportError.shareRefused(source: "custodian \(custodian)", reason: error.description)
                    }
                    say("  \(custodian): share refused: \(error.description); enter it again")
                    continue
                }
                try await record(
                    .ceremonyShareEntered, by: custodian, auth: "share", step: step.id,
                    outputs: ["share": .integer(Int64(number)), "set": .integer(Int64(accepted.identifier))])
                say("  \(custodian): share accepted (\(accepted))")
                break
            }
        }
        let material = try TransportKeyMaterial.recover(from: recovery, expectedKCV: expected)
        let result = try await installer.install(material, on: worker)
        say("  installed on \(hsm): KCV \(result.kcv), check value \(result.checkValue)")
        var outputs = installOutputs(result)
        outputs["custodians"] = .array(custodians.map(JSONValue.string))
        return outputs
    }

    func transportVerify(_ step: CeremonyStep, hsms: [String]) async throws -> [String: JSONValue] {
        let label = fleet.transport.label
        var results: [String: JSONValue] = [:]
        var values: Set<String> = []
        var problems: [String] = []
        for name in hsms {
            let worker = try await worker(name)
            let inspection = try await worker.inspectTransportKey(label: label)
            if !inspection.isSound {
                problems.append(
                    "\(name): "
                        + (inspection.violations + [inspection.checkValueUnavailable].compactMap { $0 })
                        .joined(separator: "; "))
            }
            if let value = inspection.checkValue { values.insert(value) }
            results[name] = .object([
                "serial": .string(await worker.token()?.serialNumber ?? ""),
                "check_value": inspection.checkValue.map(JSONValue.string) ?? .null,
            ])
        }
        if values.count > 1 { problems.append("the HSMs hold different keys: check values \(values.sorted())") }
        guard problems.isEmpty, let value = values.first else {
            throw CeremonyError.stepFailed(
                step: step.id, reason: problems.joined(separator: "; "), category: .integrity)
        }
        say("  \(hsms.count) HSM(s) hold the transport key, check value \(value)")
        return ["label": .string(label), "check_value": .string(value), "hsms": .object(results)]
    }
}
