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
