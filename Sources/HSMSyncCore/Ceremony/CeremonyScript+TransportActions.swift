import HSMSyncModel
import SLIP39

extension ActionParameters {
    func fleetCheck() throws(YAMLError) -> CeremonyAction {
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
    }

    func transportCreate() throws(YAMLError) -> CeremonyAction {
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
    }

    func transportInstall() throws(YAMLError) -> CeremonyAction {
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
    }

    func transportAgree() throws(YAMLError) -> CeremonyAction {
        let m = try keys(["from", "to"])
        let from = try hsmName(try m.required("from"))
        let toValue = try m.required("to")
        let to = try hsmName(toValue)
        guard from != to else { throw toValue.error("an HSM cannot agree a key with itself") }
        return .transportAgree(from: from, to: to)
    }

    func transportVerify() throws(YAMLError) -> CeremonyAction {
        let m = try keys(["hsms"])
        let list = try m.required("hsms")
        let hsms = try list.stringList()
        guard !hsms.isEmpty else { throw list.error("name at least one HSM") }
        return .transportVerify(hsms: hsms)
    }
}
