import HSMSyncModel

/// The `with:` mapping of one step, decoded for its action.
struct ActionParameters {
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

    func keys(_ allowed: [String]) throws(YAMLError) -> YAMLMapping {
        try value.mapping(allowedKeys: allowed)
    }

    func hsmName(_ value: YAMLValue) throws(YAMLError) -> String {
        try value.nonEmptyString()
    }

    func people(_ value: YAMLValue, role: String) throws(YAMLError) -> [String] {
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
        case "fleet-check": return try fleetCheck()
        case "confirm": return try confirm()
        case "transport-create": return try transportCreate()
        case "transport-install": return try transportInstall()
        case "transport-agree": return try transportAgree()
        case "transport-verify": return try transportVerify()
        case "generate-key": return .generateKey(try keySpec())
        case "replicate": return try replicate()
        case "audit": return try audit()
        case "backup-create": return try backupCreate()
        case "backup-verify": return try backupVerify()
        case "backup-restore": return try backupRestore()
        case "note": return try note()
        case "witness-sign-off": return try witnessSignOff()
        case "destroy-key": return try destroyKey()
        case "close": return try close()
        default: throw value.error("unknown action \"\(actionName)\"")
        }
    }

    func keySpec() throws(YAMLError) -> KeyGenerationSpec {
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
