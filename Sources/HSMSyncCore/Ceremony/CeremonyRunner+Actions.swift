import Foundation
import HSMSyncModel
import SLIP39
import SignedLog

extension CeremonyRunner {
    /// Runs one step's action and returns its outputs for the log (never secrets).
    func perform(_ step: CeremonyStep) async throws -> [String: JSONValue] {
        switch step.action {
        case .fleetCheck(let hsms, let mechanisms):
            return try await fleetCheck(step, hsms: hsms, mechanisms: mechanisms)
        case .confirm(let prompt):
            try await confirm(step, person: step.by, prompt: "\(prompt)\nType yes to confirm", expected: "yes")
            return ["confirmed_by": .string(step.by)]
        case .transportCreate(let hsm, let shares, let threshold, _):
            return try await transportCreate(step, hsm: hsm, shares: shares, threshold: threshold)
        case .transportInstall(let hsm, let custodians, let kcv):
            return try await transportInstall(step, hsm: hsm, custodians: custodians, kcv: kcv)
        case .transportAgree(let from, let to):
            let result = try await TransportKeyAgreement(label: fleet.transport.label, fleet: fleet.name)
                .run(from: try await worker(from), to: try await worker(to))
            return [
                "from": .string(from), "from_serial": .string(result.from.tokenSerial), "to": .string(to),
                "to_serial": .string(result.to.tokenSerial), "label": .string(result.label),
                "curve": .string(result.curve), "kdf": .string(result.kdf), "sp800_56c": .bool(result.isSP800_56C),
                "check_value": .string(result.checkValue),
                "warnings": .array(result.warnings.map(JSONValue.string)),
            ]
        case .transportVerify(let hsms):
            return try await transportVerify(step, hsms: hsms)
        case .generateKey(let spec):
            return try await generateKey(step, spec)
        case .audit(let expect):
            return try await audit(step, expect: expect)
        case .note(let text):
            say("  note: \(text)")
            return ["text": .string(text)]
        case .witnessSignOff(let witnesses, let statement, let method):
            return try await signOff(step, witnesses: witnesses, statement: statement, method: method)
        case .destroyKey(let hsm, let label, let id, let keyClass, let confirmedBy):
            return try await destroyKey(
                step, hsm: hsm, label: label, id: id, keyClass: keyClass, confirmedBy: confirmedBy)
        case .close(let statement):
            try await record(
                .ceremonyClose, by: step.by, step: nil,
                detail: ["statement": .string(statement), "rehearsal": .bool(rehearsal)])
            return ["statement": .string(statement)]
        case .replicate(let from, let to, let include, let exclude):
            return try await replicate(step, from: from, to: to, include: include, exclude: exclude)
        case .backupCreate(let hsm, let out):
            return try await backupCreate(step, hsm: hsm, out: out)
        case .backupVerify(let bundle):
            return try await backupVerify(step, bundle: bundle)
        case .backupRestore(let bundle, let hsm, let allowResurrectBy):
            return try await backupRestore(step, bundle: bundle, hsm: hsm, allowResurrectBy: allowResurrectBy)
        }
    }

    /// Asks `person` and requires `expected`; records the confirmation under their name.
    func confirm(_ step: CeremonyStep, person: String, prompt: String, expected: String) async throws {
        let answer = try inputs.line(step: step.id, person: person, prompt: prompt)
        guard answer == expected else {
            try await record(
                .ceremonyConfirm, by: person, auth: "typed-confirmation", step: step.id, result: .refused,
                detail: ["prompt": .string(prompt)])
            throw CeremonyError.notConfirmed(
                step: step.id, person: person, reason: "the answer was not \"\(expected)\"")
        }
        try await record(
            .ceremonyConfirm, by: person, auth: "typed-confirmation", step: step.id,
            detail: ["prompt": .string(prompt)])
    }

    private func audit(_ step: CeremonyStep, expect: AuditExpectation) async throws -> [String: JSONValue] {
        var scans: [HSMScan] = []
        for hsm in fleet.hsms {
            scans.append(
                await InventoryScanner.scan(.connected(try await worker(hsm.name)), fleet: fleet))
        }
        let report = DriftEngine(fleet: fleet).evaluate(scans)
        let counts = report.counts.filter { $0.value > 0 }.mapValues { JSONValue.integer(Int64($0)) }
        // Policy findings (risky attribute combinations) are said apart: they are not drift.
        let drift = Finding.Kind.allCases.filter(\.breaksParity).compactMap { kind in
            report.counts[kind.rawValue].flatMap { $0 > 0 ? "\(kind.rawValue) \($0)" : nil }
        }
        let policy = report.counts[Finding.Kind.policy.rawValue] ?? 0
        say(
            "  audit: \(report.status.rawValue)\(drift.isEmpty ? "" : " (\(drift.joined(separator: ", ")))")"
                + (policy > 0 ? "; \(policy) policy finding(s), not drift (hsmsync audit lists them)" : ""))
        if expect == .parity && report.status.rawValue != "parity" {
            throw CeremonyError.stepFailed(
                step: step.id,
                reason: "the audit found \(report.status.rawValue): "
                    + report.findings.filter(\.kind.breaksParity).prefix(5)
                    .map { "\($0.kind.rawValue) \($0.hsm) \($0.key?.label ?? "")" }.joined(separator: ", "),
                category: .integrity)
        }
        return ["status": .string(report.status.rawValue), "counts": .object(counts)]
    }

    private func signOff(_ step: CeremonyStep, witnesses: [String], statement: String, method: SignOffMethod)
        async throws -> [String: JSONValue]
    {
        var signed: [JSONValue] = []
        switch method {
        case .typed:
            for witness in witnesses {
                // The prompt names the witness once (the terminal puts the name before it); a
                // mistyped name may be typed again, at a terminal, twice.
                var attempts = 0
                while try inputs.line(step: step.id, person: witness, prompt: "\(statement)\nType your name to sign")
                    != witness
                {
                    attempts += 1
                    guard inputs.allowsRetry, attempts < 3 else {
                        throw CeremonyError.notConfirmed(
                            step: step.id, person: witness, reason: "the name typed is not \"\(witness)\"")
                    }
                    say("  the name typed is not \"\(witness)\"; type it again, exactly as the ceremony file has it")
                }
                try await record(
                    .ceremonySignOff, by: witness, auth: "typed-name", step: step.id,
                    detail: ["statement": .string(statement), "method": .string("typed")])
                signed.append(.string(witness))
            }
        case .cosignature:
            // A witness cosigns under the log's lock (tlog-cosignature publication), which the
            // writer holds: the trail is closed (signing what is unsigned), the witnesses cosign
            // that checkpoint, and the trail is opened again to record who cosigned.
            guard let open = trail else { throw CeremonyError.invalid("the ceremony log is not open") }
            try await open.close()
            trail = nil
            var outcomes: [(String, WitnessCosigner.Outcome)] = []
            do {
                let directory = LogDirectory(path: logDirectory)
                let origin = try LogVerifier.readVerifierKey(at: directory.vkey).name
                for witness in witnesses {
                    let path = try inputs.witnessKeyPath(step: step.id, witness: witness)
                    let key = try NotePrivateKey.read(from: path)
                    guard key.verifierKey == script.roles.witnesses.first(where: { $0.name == witness })?.vkey else {
                        throw CeremonyError.notConfirmed(
                            step: step.id, person: witness, reason: "the key \(path) is not the witness key in roles")
                    }
                    let outcome = try WitnessCosigner(
                        directory: directory,
                        statePath: WitnessCosigner.defaultStatePath(keyPath: path, origin: origin)
                    ).cosign(with: key, keyPath: path)
                    outcomes.append((witness, outcome))
                }
            } catch {
                trail = try await openTrail()
                throw error
            }
            trail = try await openTrail()
            for (witness, outcome) in outcomes {
                try await record(
                    .ceremonySignOff, by: witness, auth: "tlog-cosignature", step: step.id,
                    outputs: [
                        "size": .integer(Int64(outcome.size)), "root": .string(outcome.rootHash.base64),
                        "cosignature": .string(String(outcome.line.dropLast())),
                        "vkey": .string(script.roles.witnesses.first { $0.name == witness }?.vkey?.description ?? ""),
                    ],
                    detail: ["statement": .string(statement), "method": .string("cosignature")])
                signed.append(.string(witness))
                say("  \(witness) cosigned checkpoint \(outcome.size)")
            }
        }
        return ["witnesses": .array(signed), "method": .string(method.rawValue), "statement": .string(statement)]
    }

    private func destroyKey(
        _ step: CeremonyStep, hsm: String, label: String, id: [UInt8], keyClass: DestroyedKeyClass,
        confirmedBy: [String]
    ) async throws -> [String: JSONValue] {
        let worker = try await worker(hsm)
        let classes: [ObjectKind] =
            switch keyClass {
            case .secretKey: [.secretKey]
            case .privateKey: [.privateKey]
            case .publicKey: [.publicKey]
            case .keyPair: [.privateKey, .publicKey]
            }
        let refusal = { (counts: [Int], when: String) in
            CeremonyError.stepFailed(
                step: step.id,
                reason: "\(hsm) holds \(counts.map(String.init).joined(separator: "/")) object(s) for "
                    + "\(keyClass.rawValue) \"\(label)\" id \(Hex.encode(id))\(when); exactly one each is required, "
                    + "nothing was destroyed",
                category: .invalidInput)
        }
        let counts = try await worker.countObjects(classes: classes, label: label, id: id)
        guard counts.allSatisfy({ $0 == 1 }) else { throw refusal(counts, "") }
        for person in confirmedBy {
            try await confirm(
                step, person: person,
                prompt: "DESTROY \(keyClass.rawValue) \"\(label)\" (id \(Hex.encode(id))) on \(hsm)? "
                    + "This cannot be undone.\nType the label to confirm",
                expected: label)
        }
        let serial = await worker.token()?.serialNumber ?? ""
        // The token may have changed while the custodians typed: what is destroyed is exactly what
        // was confirmed, one object per class, found again and counted again in the same session.
        let countsAfter = try await worker.destroyOneEach(classes: classes, label: label, id: id)
        guard countsAfter.allSatisfy({ $0 == 1 }) else { throw refusal(countsAfter, " after the confirmations") }
        say("  destroyed \(keyClass.rawValue) \"\(label)\" on \(hsm)")
        return [
            "hsm": .string(hsm), "serial": .string(serial), "label": .string(label), "id": .string(Hex.encode(id)),
            "class": .string(keyClass.rawValue), "confirmed_by": .array(confirmedBy.map(JSONValue.string)),
        ]
    }
}
