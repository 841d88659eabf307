import HSMSyncModel

extension ActionParameters {
    func replicate() throws(YAMLError) -> CeremonyAction {
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
    }

    func destroyKey() throws(YAMLError) -> CeremonyAction {
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
    }

    func backupCreate() throws(YAMLError) -> CeremonyAction {
        let m = try keys(["hsm", "out"])
        return .backupCreate(hsm: try hsmName(try m.required("hsm")), out: try m.required("out").nonEmptyString())
    }

    func backupVerify() throws(YAMLError) -> CeremonyAction {
        let m = try keys(["bundle"])
        return .backupVerify(bundle: try m.required("bundle").nonEmptyString())
    }

    func backupRestore() throws(YAMLError) -> CeremonyAction {
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
    }
}
