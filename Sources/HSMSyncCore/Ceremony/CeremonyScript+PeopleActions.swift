import HSMSyncModel

extension ActionParameters {
    func confirm() throws(YAMLError) -> CeremonyAction {
        let m = try keys(["prompt"])
        return .confirm(prompt: try m.required("prompt").nonEmptyString())
    }

    func audit() throws(YAMLError) -> CeremonyAction {
        let m = try keys(["expect"])
        let expectValue = try m.required("expect")
        guard let expect = AuditExpectation(rawValue: try expectValue.string()) else {
            throw expectValue.error("expected parity or record")
        }
        return .audit(expect: expect)
    }

    func note() throws(YAMLError) -> CeremonyAction {
        let m = try keys(["text"])
        return .note(text: try m.required("text").nonEmptyString())
    }

    func witnessSignOff() throws(YAMLError) -> CeremonyAction {
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
    }

    func close() throws(YAMLError) -> CeremonyAction {
        let m = try keys(["statement"])
        return .close(statement: try m.required("statement").nonEmptyString())
    }
}
