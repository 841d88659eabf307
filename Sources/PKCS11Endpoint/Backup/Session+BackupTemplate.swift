import HSMSyncModel
import PKCS11
import SignedLog

extension BackupTemplate {
    /// The template as PKCS#11 attributes, in table order with `CKA_MODIFIABLE` last (SoftHSM2
    /// refuses every attribute after `CKA_MODIFIABLE=false` in an unwrap template).
    ///
    /// - Parameters:
    ///   - only: the spec names to include (`nil`: all recorded).
    ///   - overrides: values that replace recorded ones (`CKA_TOKEN=false` for staging).
    func attributes(only: Set<AttributeName>? = nil, overrides: [AttributeName: BackupAttributeValue] = [:])
        -> [Attribute]
    {
        var result: [Attribute] = []
        var modifiable: Attribute?
        for entry in BackupAttributeTable.entries {
            guard only?.contains(entry.name) ?? true,
                let value = overrides[entry.name] ?? values[entry.name],
                let attribute = Self.attribute(entry, value)
            else { continue }
            if entry.name == .modifiable {
                modifiable = attribute
            } else {
                result.append(attribute)
            }
        }
        if let modifiable { result.append(modifiable) }
        return result
    }

    /// The PKCS#11 attribute for `value`, or `nil` when the value has the wrong kind or an unknown
    /// class/type name.
    private static func attribute(_ entry: BackupAttributeTable.Entry, _ value: BackupAttributeValue) -> Attribute? {
        let type = SpecNames.attributeType(entry.name)
        switch (entry.kind, value) {
        case (.bool, .bool(let flag)): return .bool(type, flag)
        case (.number, .number(let number)): return .ulong(type, number)
        case (.bytes, .bytes(let bytes)): return .bytes(type, bytes)
        case (.text, .text(let text)): return .string(type, text)
        case (.objectClass, .name(let name)):
            return SpecNames.objectClass(ObjectKind(rawValue: name)).map { .class($0) }
        case (.keyType, .name(let name)):
            return SpecNames.keyType(KeyAlgorithm(rawValue: name)).map { .keyType($0) }
        case (.mechanisms, .mechanisms(let numbers)):
            return .allowedMechanisms(numbers.map { MechanismType(rawValue: $0) })
        default: return nil
        }
    }
}

extension BackupTemplate {
    /// Reads the template of `object` (class `objectClass`) from the token: one
    /// `C_GetAttributeValue`; attributes the object lacks are left out.
    static func read(_ object: ObjectHandle, objectClass: ObjectKind, session: borrowing Session) throws(PKCS11Error)
        -> BackupTemplate
    {
        let entries = BackupAttributeTable.names(forClass: objectClass).compactMap(BackupAttributeTable.entry(named:))
        let set = try session.attributes(entries.map { SpecNames.attributeType($0.name) }, of: object)
        var template = BackupTemplate()
        for entry in entries {
            let type = SpecNames.attributeType(entry.name)
            guard let bytes = set.bytes(type) else { continue }
            switch entry.kind {
            case .bool:
                if let flag = set.bool(type) { template[entry.name] = .bool(flag) }
            case .number:
                if let number = set.ulong(type) { template[entry.name] = .number(number) }
            case .bytes:
                template[entry.name] = .bytes(bytes)
            case .text:
                template[entry.name] = .text(String(decoding: bytes, as: UTF8.self))
            case .objectClass:
                template[entry.name] = .name(SpecNames.objectClass(set.objectClass))
            case .keyType:
                if let keyType = set.keyType { template[entry.name] = .name(SpecNames.keyType(keyType)) }
            case .mechanisms:
                if let mechanisms = set.allowedMechanisms, !mechanisms.isEmpty {
                    template[entry.name] = .mechanisms(mechanisms.map(\.rawValue))
                }
            }
        }
        return template
    }
}
