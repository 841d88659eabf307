import Foundation
public import HSMSyncModel
import SLIP39
import SignedLog

extension CeremonyScript {
    /// Reads and strictly decodes a ceremony file; touches no HSM and loads no module.
    ///
    /// - Throws: ``YAMLError`` with the YAML path (exit 2).
    public static func load(from path: String) throws(YAMLError) -> CeremonyScript {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw YAMLError(
                file: path, path: "", line: nil, reason: "cannot read the ceremony file: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw YAMLError(file: path, path: "", line: nil, reason: "the file is not UTF-8")
        }
        return try parse(text, path: path, digest: AuditDigest.sha256(of: data))
    }

    /// Decodes ceremony YAML: unknown keys, wrong types, unknown actions, missing parameters,
    /// duplicate step ids and unknown people are refused with the YAML path.
    public static func parse(_ text: String, path: String, digest: AuditDigest) throws(YAMLError) -> CeremonyScript {
        let root = try YAMLValue.parse(text, file: path).mapping(allowedKeys: [
            "ceremony", "version", "fleet", "roles", "steps",
        ])
        let name = try root.required("ceremony").nonEmptyString()
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw try root.required("ceremony").error("ceremony names may use letters, digits, '.', '_' and '-' only")
        }
        let versionValue = try root.required("version")
        guard try versionValue.int() == 1 else {
            throw versionValue.error("this hsmsync reads ceremony format version 1")
        }
        let fleetFile = try root.required("fleet").nonEmptyString()
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        let fleetPath =
            fleetFile.hasPrefix("/") ? fleetFile : base.appendingPathComponent(fleetFile).standardizedFileURL.path
        let roles = try parseRoles(try root.required("roles"))

        let stepValues = try root.required("steps").sequence()
        guard !stepValues.isEmpty else { throw try root.required("steps").error("a ceremony needs steps") }
        var steps: [CeremonyStep] = []
        var firstPath: [String: String] = [:]
        for value in stepValues {
            let step = try parseStep(value, roles: roles, earlier: steps)
            if let earlier = firstPath[step.id] {
                throw try value.mapping(allowedKeys: stepKeys).required("id").error(
                    "duplicate step id \"\(step.id)\" (first used at \(earlier))")
            }
            firstPath[step.id] = value.path
            steps.append(step)
        }
        for (index, step) in steps.enumerated() {
            if case .close = step.action, index != steps.count - 1 {
                throw stepValues[index].error("close must be the last step")
            }
        }
        guard case .close = steps.last!.action else {
            throw stepValues.last!.error("the last step must be a close step")
        }
        return CeremonyScript(
            name: name, path: path, digest: digest, fleetPath: fleetPath, roles: roles, steps: steps)
    }

    private static let stepKeys = ["id", "title", "by", "action", "with"]

    private static func parseRoles(_ value: YAMLValue) throws(YAMLError) -> CeremonyRoles {
        let mapping = try value.mapping(allowedKeys: ["master", "custodians", "witnesses"])
        let master = try personName(try mapping.required("master"))
        let custodianMapping = try mapping.required("custodians").mapping(allowedKeys: ["threshold", "members"])
        let membersValue = try custodianMapping.required("members")
        let members = try membersValue.sequence().map { (value) throws(YAMLError) in try personName(value) }
        let thresholdValue = try custodianMapping.required("threshold")
        let threshold = try thresholdValue.int()
        guard threshold >= 2 else {
            throw thresholdValue.error("at least 2 custodians must be needed to rebuild the transport key")
        }
        guard members.count >= threshold else {
            throw membersValue.error("\(members.count) custodians cannot meet a threshold of \(threshold)")
        }
        var witnesses: [CeremonyWitness] = []
        for value in try mapping.required("witnesses").sequence() {
            let witness = try value.mapping(allowedKeys: ["name", "vkey"])
            let name = try personName(try witness.required("name"))
            var vkey: VerifierKey?
            if let keyValue = witness.optional("vkey") {
                do {
                    vkey = try VerifierKey(parsing: try keyValue.nonEmptyString())
                } catch let error as YAMLError {
                    throw error
                } catch {
                    throw keyValue.error("not a vkey: \(error)")
                }
                guard vkey?.type == .cosignatureV1 else {
                    throw keyValue.error("a witness signs with a tlog-cosignature key (log keygen --witness)")
                }
            }
            witnesses.append(CeremonyWitness(name: name, vkey: vkey))
        }
        let everyone = [master] + members + witnesses.map(\.name)
        var seen: Set<String> = []
        for person in everyone where !seen.insert(person).inserted {
            throw value.error(
                "\"\(person)\" holds two roles: the master, each custodian and each witness must be different people")
        }
        return CeremonyRoles(master: master, custodians: members, threshold: threshold, witnesses: witnesses)
    }

    private static func personName(_ value: YAMLValue) throws(YAMLError) -> String {
        let name = try value.nonEmptyString()
        guard name.allSatisfy({ !$0.isNewline && $0 != "/" }), name.count <= 64 else {
            throw value.error("a person's name is one line of at most 64 characters without '/'")
        }
        return name
    }

    private static func parseStep(_ value: YAMLValue, roles: CeremonyRoles, earlier: [CeremonyStep])
        throws(YAMLError) -> CeremonyStep
    {
        let mapping = try value.mapping(allowedKeys: stepKeys)
        let idValue = try mapping.required("id")
        let id = try idValue.nonEmptyString()
        guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw idValue.error("step ids may use letters, digits, '.', '_' and '-' only")
        }
        let title = try mapping.required("title").nonEmptyString()
        let byValue = try mapping.required("by")
        let by = try byValue.nonEmptyString()
        guard roles.role(of: by) != nil else {
            throw byValue.error("\"\(by)\" is not in roles (\(roles.everyone.joined(separator: ", ")))")
        }
        let actionValue = try mapping.required("action")
        let actionName = try actionValue.string()
        guard CeremonyAction.names.contains(actionName) else {
            throw actionValue.error(
                "unknown action \"\(actionName)\" (known: \(CeremonyAction.names.joined(separator: ", ")))")
        }
        let with = try mapping.required("with")
        let parameters = ActionParameters(with, action: actionName, roles: roles, earlier: earlier)
        return CeremonyStep(id: id, title: title, by: by, action: try parameters.action(), path: value.path)
    }
}

/// The `with:` mapping of one step, decoded for its action.
private struct ActionParameters {
    let value: YAMLValue
    let actionName: String
    let roles: CeremonyRoles
    let earlier: [CeremonyStep]

    init(_ value: YAMLValue, action: String, roles: CeremonyRoles, earlier: [CeremonyStep]) {
        self.value = value
        self.actionName = action
        self.roles = roles
        self.earlier = earlier
    }

    private func keys(_ allowed: [String]) throws(YAMLError) -> YAMLMapping {
        try value.mapping(allowedKeys: allowed)
    }

    private func hsmName(_ value: YAMLValue) throws(YAMLError) -> String {
        try value.nonEmptyString()
    }

    private func people(_ value: YAMLValue, role: String) throws(YAMLError) -> [String] {
        let list = try value.sequence()
        guard !list.isEmpty else { throw value.error("name at least one \(role)") }
        var names: [String] = []
        for element in list {
            let name = try element.nonEmptyString()
            guard roles.role(of: name) == role || (role == "person" && roles.role(of: name) != nil) else {
                throw element.error("\"\(name)\" is not a \(role) of this ceremony")
            }
            guard !names.contains(name) else { throw element.error("\"\(name)\" is named twice") }
            names.append(name)
        }
        return names
    }

    func action() throws(YAMLError) -> CeremonyAction {
        switch actionName {
        case "fleet-check":
            let m = try keys(["hsms", "mechanisms"])
            let hsmsValue = try m.required("hsms")
            var expected: [ExpectedToken] = []
            for element in try hsmsValue.sequence() {
                let entry = try element.mapping(allowedKeys: ["hsm", "serial"])
                let serial = try entry.required("serial").nonEmptyString()
                expected.append(
                    ExpectedToken(hsm: try hsmName(try entry.required("hsm")), serial: serial == "any" ? nil : serial))
            }
            guard !expected.isEmpty else { throw hsmsValue.error("name at least one HSM") }
            let mechanismsValue = try m.required("mechanisms")
            let mechanisms = try mechanismsValue.stringList()
            for (index, mechanism) in mechanisms.enumerated() where !MechanismName(rawValue: mechanism).isKnown {
                throw try mechanismsValue.sequence()[index].error("unknown mechanism \"\(mechanism)\" (CKM_… names)")
            }
            return .fleetCheck(hsms: expected, mechanisms: mechanisms)
        case "confirm":
            let m = try keys(["prompt"])
            return .confirm(prompt: try m.required("prompt").nonEmptyString())
        case "transport-create":
            let m = try keys(["hsm", "shares", "threshold", "delivery"])
            let sharesValue = try m.required("shares")
            let shares = try sharesValue.int()
            guard shares == roles.custodians.count else {
                throw sharesValue.error(
                    "\(shares) shares for \(roles.custodians.count) custodians: one share per custodian")
            }
            let thresholdValue = try m.required("threshold")
            let threshold = try thresholdValue.int()
            guard threshold == roles.threshold else {
                throw thresholdValue.error("the threshold must be roles.custodians.threshold (\(roles.threshold))")
            }
            do {
                _ = try TransportShareParameters(threshold: threshold, count: shares)
            } catch {
                throw thresholdValue.error(error.description)
            }
            let deliveryValue = try m.required("delivery")
            guard let delivery = ShareDelivery(rawValue: try deliveryValue.string()) else {
                throw deliveryValue.error("expected screen (shares are shown one custodian at a time)")
            }
            return .transportCreate(
                hsm: try hsmName(try m.required("hsm")), shares: shares, threshold: threshold, delivery: delivery)
        case "transport-install":
            let m = try keys(["hsm", "custodians", "kcv"])
            let custodiansValue = try m.required("custodians")
            let custodians = try people(custodiansValue, role: "custodian")
            guard custodians.count >= roles.threshold else {
                throw custodiansValue.error(
                    "\(custodians.count) custodians cannot meet the threshold \(roles.threshold)")
            }
            let kcvValue = try m.required("kcv")
            let text = try kcvValue.nonEmptyString()
            let kcv: KCVSource
            if text == "prompt" {
                kcv = .prompt
            } else if text.hasPrefix("step:") {
                let reference = String(text.dropFirst(5))
                guard let step = earlier.first(where: { $0.id == reference }),
                    case .transportCreate = step.action
                else {
                    throw kcvValue.error("\"\(reference)\" is not an earlier transport-create step")
                }
                kcv = .step(reference)
            } else {
                guard (try? KeyCheckValue(hex: text)) != nil else {
                    throw kcvValue.error("expected 10 hex digits, step:ID (an earlier transport-create) or prompt")
                }
                kcv = .value(text.uppercased())
            }
            return .transportInstall(hsm: try hsmName(try m.required("hsm")), custodians: custodians, kcv: kcv)
        case "transport-agree":
            let m = try keys(["from", "to"])
            let from = try hsmName(try m.required("from"))
            let toValue = try m.required("to")
            let to = try hsmName(toValue)
            guard from != to else { throw toValue.error("an HSM cannot agree a key with itself") }
            return .transportAgree(from: from, to: to)
        case "transport-verify":
            let m = try keys(["hsms"])
            let list = try m.required("hsms")
            let hsms = try list.stringList()
            guard !hsms.isEmpty else { throw list.error("name at least one HSM") }
            return .transportVerify(hsms: hsms)
        case "generate-key":
            return .generateKey(try keySpec())
        case "replicate":
            let m = try keys(["from", "to", "scope"])
            let scope = try m.required("scope").mapping(allowedKeys: ["include", "exclude"])
            let toValue = try m.required("to")
            let to = try toValue.stringList()
            guard !to.isEmpty else { throw toValue.error("name at least one HSM") }
            guard Set(to).count == to.count else { throw toValue.error("names an HSM twice") }
            let fromValue = try m.required("from")
            let from = try hsmName(fromValue)
            guard !to.contains(from) else { throw toValue.error("names \(from), the HSM keys are copied from") }
            return .replicate(
                from: from, to: to,
                include: try scope.required("include").stringList(), exclude: try scope.required("exclude").stringList()
            )
        case "audit":
            let m = try keys(["expect"])
            let expectValue = try m.required("expect")
            guard let expect = AuditExpectation(rawValue: try expectValue.string()) else {
                throw expectValue.error("expected parity or record")
            }
            return .audit(expect: expect)
        case "backup-create":
            let m = try keys(["hsm", "out"])
            return .backupCreate(hsm: try hsmName(try m.required("hsm")), out: try m.required("out").nonEmptyString())
        case "backup-verify":
            let m = try keys(["bundle"])
            return .backupVerify(bundle: try m.required("bundle").nonEmptyString())
        case "backup-restore":
            let m = try keys(["bundle", "hsm", "allow-resurrect-confirmed-by"])
            var allowResurrectBy: [String] = []
            if let value = m.optional("allow-resurrect-confirmed-by") {
                allowResurrectBy = try people(value, role: "person")
                guard allowResurrectBy.count == 2 else {
                    throw value.error("bringing back a destroyed key is confirmed by exactly two different people")
                }
            }
            return .backupRestore(
                bundle: try m.required("bundle").nonEmptyString(), hsm: try hsmName(try m.required("hsm")),
                allowResurrectBy: allowResurrectBy)
        case "note":
            let m = try keys(["text"])
            return .note(text: try m.required("text").nonEmptyString())
        case "witness-sign-off":
            let m = try keys(["witnesses", "statement", "method"])
            let witnesses = try people(try m.required("witnesses"), role: "witness")
            let methodValue = try m.required("method")
            guard let method = SignOffMethod(rawValue: try methodValue.string()) else {
                throw methodValue.error("expected typed or cosignature")
            }
            if method == .cosignature {
                for name in witnesses where roles.witnesses.first(where: { $0.name == name })?.vkey == nil {
                    throw methodValue.error("witness \"\(name)\" has no vkey in roles.witnesses to cosign with")
                }
            }
            return .witnessSignOff(
                witnesses: witnesses, statement: try m.required("statement").nonEmptyString(), method: method)
        case "destroy-key":
            let m = try keys(["hsm", "label", "id", "class", "confirmed-by"])
            let idValue = try m.required("id")
            let idText = try idValue.nonEmptyString()
            // `none`: the object has no CKA_ID (a transport key), so only class and label select it.
            guard let id = idText == "none" ? [] : Hex.decode(idText) else {
                throw idValue.error("expected the CKA_ID in hex, or none")
            }
            let classValue = try m.required("class")
            guard let keyClass = DestroyedKeyClass(rawValue: try classValue.string()) else {
                throw classValue.error("expected secret-key, private-key, public-key or key-pair")
            }
            let confirmedValue = try m.required("confirmed-by")
            let confirmedBy = try people(confirmedValue, role: "person")
            guard confirmedBy.count == 2 else {
                throw confirmedValue.error("a destruction is confirmed by exactly two different people")
            }
            return .destroyKey(
                hsm: try hsmName(try m.required("hsm")), label: try m.required("label").nonEmptyString(), id: id,
                keyClass: keyClass, confirmedBy: confirmedBy)
        case "close":
            let m = try keys(["statement"])
            return .close(statement: try m.required("statement").nonEmptyString())
        default:
            throw value.error("unknown action \"\(actionName)\"")
        }
    }

    private func keySpec() throws(YAMLError) -> KeyGenerationSpec {
        let m = try keys(["hsm", "label", "id", "type", "size", "curve", "attributes"])
        let idValue = try m.required("id")
        guard let id = Hex.decode(try idValue.nonEmptyString()), !id.isEmpty else {
            throw idValue.error("expected the CKA_ID in hex")
        }
        let typeValue = try m.required("type")
        guard let type = KeyGenerationSpec.KeyType(rawValue: try typeValue.string()) else {
            throw typeValue.error("expected aes, ec or rsa")
        }
        var size: Int?
        var curve: String?
        switch type {
        case .aes, .rsa:
            if let extra = m.optional("curve") { throw extra.error("a curve is only for type ec") }
            let sizeValue = try m.required("size")
            let bits = try sizeValue.int()
            let allowed = type == .aes ? [128, 192, 256] : [2048, 3072, 4096]
            guard allowed.contains(bits) else {
                throw sizeValue.error("\(type.rawValue) sizes: \(allowed.map(String.init).joined(separator: ", "))")
            }
            size = bits
        case .ec:
            if let extra = m.optional("size") { throw extra.error("an ec key has a curve, not a size") }
            let curveValue = try m.required("curve")
            let name = try curveValue.string()
            guard AgreementCurve(rawValue: name) != nil else { throw curveValue.error("expected P-256 or P-384") }
            curve = name
        }
        let attributes = try m.required("attributes").mapping(allowedKeys: KeyGenerationSpec.attributeNames)
        var flags: [String: Bool] = [:]
        for name in KeyGenerationSpec.attributeNames {
            flags[name] = try attributes.required(name).bool()
        }
        return KeyGenerationSpec(
            hsm: try hsmName(try m.required("hsm")), label: try m.required("label").nonEmptyString(), id: id,
            type: type, size: size, curve: curve, attributes: flags)
    }
}
