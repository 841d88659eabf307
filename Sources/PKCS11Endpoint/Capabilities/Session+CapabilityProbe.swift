import Foundation
public import HSMSyncModel
public import PKCS11

extension Session {
    /// Probes what the token can do for replication (issue 12): which wrap methods it carries out
    /// and with which mechanism, whether it holds EC keys, and which key attributes it refuses.
    ///
    /// Every probe works on session objects, which vanish with the session. Tokens can accept an
    /// attribute on a session object and still refuse it on a token object (NSS softoken stores only
    /// the attributes its database knows), so with `tokenObjects` each attribute a session object took
    /// is tried once more on a token key labelled `hsmsync-capability-probe-…`, destroyed at once.
    /// Without it (a read-only session) an attribute counts as refused when an existing token key
    /// cannot even report it.
    public func probeCapabilities(tokenObjects: Bool) throws(PKCS11Error) -> TokenCapabilities {
        let listed = Set(try module.mechanisms(slot))
        func wrapsAndUnwraps(_ mechanism: MechanismType) throws(PKCS11Error) -> Bool {
            guard listed.contains(mechanism) else { return false }
            return try module.mechanismInfo(mechanism, slot: slot).flags.isSuperset(of: [.wrap, .unwrap])
        }
        var methods: [WrapMethod: MechanismName] = [:]
        var notes: [String] = []
        let canGenerate = listed.contains(.aesKeyGen)
        if canGenerate, try wrapsAndUnwraps(.aesKeyWrap) {
            methods[.aesKeyWrap] = .aesKeyWrap
        }
        if canGenerate, try wrapsAndUnwraps(.aesKeyWrapKWP) {
            methods[.aesKeyWrapWithPadding] = .aesKeyWrapKWP
        } else if canGenerate, try wrapsAndUnwraps(.aesKeyWrapPad) {
            switch padFlavour() {
            case .rfc5649: methods[.aesKeyWrapWithPadding] = .aesKeyWrapPad
            case .other(let reason): notes.append("CKM_AES_KEY_WRAP_PAD is not used: \(reason)")
            }
        }
        if listed.contains(.aesCBCPad), try wrapsAndUnwraps(.aesCBCPad), methods.isEmpty {
            notes.append("CKM_AES_CBC_PAD wraps here, but hsmsync does not replicate with it yet")
        }
        let holdsEC = listed.contains(.ecKeyPairGen) && listed.contains(.ecdsa)
        var needsPublicValue = false
        if holdsEC, let padding = methods[.aesKeyWrapWithPadding].flatMap(SpecNames.mechanismType) {
            needsPublicValue = ecUnwrapNeedsPublicValue(mechanism: padding)
        }
        let refused = canGenerate ? probeAttributes(tokenObjects: tokenObjects) : []
        return TokenCapabilities(
            wrapMethods: methods, holdsEC: holdsEC, ecUnwrapNeedsPublicValue: needsPublicValue,
            refusedAttributes: refused, notes: notes)
    }

    private enum PadFlavour {
        case rfc5649
        case other(String)
    }

    /// Which algorithm the token's `CKM_AES_KEY_WRAP_PAD` is: RFC 5649 wraps a 32-byte key into
    /// 40 bytes; NSS softoken's (PKCS#7 padding, then RFC 3394) into 48.
    private func padFlavour() -> PadFlavour {
        let keyTemplate: [Attribute] = [
            .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, false),
            .bool(.sensitive, false), .bool(.extractable, true),
        ]
        do {
            let kek = try generateKey(.aesKeyGen, template: keyTemplate + [.bool(.wrap, true), .bool(.unwrap, true)])
            defer { try? destroyObject(kek) }
            let key = try generateKey(.aesKeyGen, template: keyTemplate)
            defer { try? destroyObject(key) }
            let blob = try wrapKey(key, with: kek, mechanism: .aesKeyWrapPad)
            return blob.count == 40
                ? .rfc5649
                : .other("it wraps a 32-byte key into \(blob.count) bytes, so it is not RFC 5649 on this token")
        } catch {
            return .other("probing it failed (\(error))")
        }
    }

    /// The key attributes of PKCS#11 v2.40 and 3.0 that hsmsync sets, with a value each probe asks for.
    static let probedAttributes: [(name: AttributeName, attribute: Attribute)] = [
        (.copyable, .bool(.copyable, false)), (.destroyable, .bool(.destroyable, true)),
        (.allowedMechanisms, .allowedMechanisms([.aesKeyWrap])), (.wrapWithTrusted, .bool(.wrapWithTrusted, false)),
        (.unwrapTemplate, .template(.unwrapTemplate, [.bool(.sensitive, true)])),
    ]

    private func probeAttributes(tokenObjects: Bool) -> [AttributeSupport] {
        let base: [Attribute] = [
            .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 16), .bool(.private, true),
            .bool(.sensitive, true), .bool(.extractable, false), .bool(.wrap, true), .bool(.unwrap, true),
        ]
        let existing = tokenObjects ? nil : try? findObjects(matching: [.class(.secretKey), .bool(.token, true)]).first
        var refused: [AttributeSupport] = []
        for (name, attribute) in Self.probedAttributes {
            do {
                let key = try generateKey(.aesKeyGen, template: base + [.bool(.token, false), attribute])
                try? destroyObject(key)
            } catch {
                refused.append(
                    AttributeSupport(attribute: name, evidence: "C_GenerateKey (session object): \(error.code)"))
                continue
            }
            if tokenObjects {
                let label = InfrastructureLabels.capabilityProbePrefix + UUID().uuidString.prefix(8).lowercased()
                do {
                    let key = try generateKey(
                        .aesKeyGen, template: base + [.bool(.token, true), .label(label), attribute])
                    defer { try? destroyObject(key) }
                    // Taken, but not kept: NSS softoken stores no CKA_UNWRAP_TEMPLATE on token keys.
                    if !keeps(attribute, on: key) {
                        refused.append(
                            AttributeSupport(
                                attribute: name,
                                evidence:
                                    "C_GenerateKey (token object) takes it, C_GetAttributeValue does not return it"))
                    }
                } catch {
                    refused.append(
                        AttributeSupport(attribute: name, evidence: "C_GenerateKey (token object): \(error.code)"))
                }
            } else if let existing, let read = try? attributes([attribute.type], of: existing),
                read[attribute.type] == .invalid
            {
                refused.append(
                    AttributeSupport(
                        attribute: name, evidence: "C_GetAttributeValue on a token key: CKR_ATTRIBUTE_TYPE_INVALID"))
            }
        }
        return refused
    }

    /// Whether `object` reports `attribute` back (a nested template is read as one).
    private func keeps(_ attribute: Attribute, on object: ObjectHandle) -> Bool {
        if attribute.type == .unwrapTemplate {
            // An empty template read back is not the one asked for.
            guard let read = (try? template(.unwrapTemplate, of: object)) ?? nil else { return false }
            return read.contains(.bool(.sensitive, true))
        }
        guard let read = try? attributes([attribute.type], of: object) else { return false }
        return read[attribute.type] != .invalid
    }
}
