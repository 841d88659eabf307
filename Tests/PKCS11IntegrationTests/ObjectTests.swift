import HSMSyncTesting
import PKCS11
import SecureMemory
import Testing

@Suite("Objects and attributes (SoftHSM2)")
struct ObjectTests {
    static let aesTemplate: [Attribute] = [
        .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, false), .bool(.sensitive, true),
        .bool(.extractable, true), .bool(.encrypt, true), .bool(.sign, true),
    ]

    @Test("Find objects in batches: every handle exactly once")
    func findInBatches() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("find")
        let module = try await SoftHSMFixture.shared.module()
        let session = try module.loggedInSession(token)
        var created: Set<ObjectHandle> = []
        for index in 0..<23 {
            created.insert(try session.generateKey(.aesKeyGen, template: Self.aesTemplate + [.label("k\(index)")]))
        }
        let found = try session.findObjects(matching: [.class(.secretKey)], batchSize: 5)
        #expect(found.count == 23)
        #expect(Set(found) == created)
        let one = try session.findObject(matching: [.label("k7")])
        #expect(created.contains(one))
        #expect(throws: ObjectLookupError.self) { try session.findObject(matching: [.label("nope")]) }
        #expect(throws: ObjectLookupError.self) { try session.findObject(matching: [.class(.secretKey)]) }
    }

    @Test("One read gives each attribute its own status: available, sensitive, invalid")
    func perAttributeStatus() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("attrs")
        let module = try await SoftHSMFixture.shared.module()
        let session = try module.loggedInSession(token)
        let key = try session.generateKey(.aesKeyGen, template: Self.aesTemplate + [.label("status"), .id([1, 2, 3])])

        let set = try session.attributes([.class, .label, .id, .value, .modulus, .sensitive, .valueLength], of: key)
        #expect(set.objectClass == .secretKey)
        #expect(set.string(.label) == "status")
        #expect(set.bytes(.id) == [1, 2, 3])
        #expect(set[.value] == .sensitive)
        #expect(set[.modulus] == .invalid)
        #expect(set.bool(.sensitive) == true)
        #expect(set.ulong(.valueLength) == 32)

        // Only one attribute unresolved: the return code decides its status.
        #expect(try session.attributes([.label, .modulus], of: key)[.modulus] == .invalid)
        #expect(try session.attributes([.label, .value], of: key)[.value] == .sensitive)
    }

    @Test("A value larger than the first buffer is fetched in a second call")
    func largeValue() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("large")
        let module = try await SoftHSMFixture.shared.module()
        let session = try module.loggedInSession(token)
        let label = String(repeating: "L", count: 700)
        let id = [UInt8](repeating: 0xAB, count: 400)
        let object = try session.createObject([
            .class(.data), .bool(.token, false), .label(label), .bytes(.application, Array("app".utf8)),
            .bytes(.value, id),
        ])
        let set = try session.attributes([.label, .value, .class, .keyType], of: object)
        #expect(set.string(.label) == label)
        #expect(set.bytes(.value) == id)
        #expect(set.objectClass == .data)
        #expect(set[.keyType] == .invalid)
    }

    @Test("A missing object fails the read as a whole")
    func missingObject() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("gone")
        let module = try await SoftHSMFixture.shared.module()
        let session = try module.loggedInSession(token)
        let key = try session.generateKey(.aesKeyGen, template: Self.aesTemplate)
        try session.destroyObject(key)
        #expect(throws: PKCS11Error(code: .objectHandleInvalid, function: .getAttributeValue)) {
            try session.attributes([.class], of: key)
        }
    }

    @Test("Set attributes, and sticky attributes refuse to loosen")
    func setAttributes() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("set")
        let module = try await SoftHSMFixture.shared.module()
        let session = try module.loggedInSession(token)
        let key = try session.generateKey(.aesKeyGen, template: Self.aesTemplate + [.label("before")])
        try session.setAttributes([.label("after"), .bool(.encrypt, false)], of: key)
        let set = try session.attributes([.label, .encrypt], of: key)
        #expect(set.string(.label) == "after")
        #expect(set.bool(.encrypt) == false)
        #expect(throws: PKCS11Error(code: .attributeReadOnly, function: .setAttributeValue)) {
            try session.setAttributes([.bool(.sensitive, false)], of: key)
        }
    }

    @Test("Create by value from a secret buffer, copy to a token object, destroy")
    func createCopyDestroy() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("ccd")
        let module = try await SoftHSMFixture.shared.module()
        let session = try module.loggedInSession(token)
        let value = SecretBytes(copying: [UInt8](repeating: 0x42, count: 32))
        let staged = try session.createObject(
            [
                .class(.secretKey), .keyType(.aes), .bool(.token, false), .bool(.sensitive, true),
                .bool(.extractable, true),
                .bool(.encrypt, true), .label("staged"),
            ],
            secretValue: value)
        let promoted = try session.copyObject(staged, template: [.bool(.token, true), .label("promoted")])
        let set = try session.attributes([.token, .label, .valueLength], of: promoted)
        #expect(set.bool(.token) == true)
        #expect(set.string(.label) == "promoted")
        #expect(set.ulong(.valueLength) == 32)
        #expect(try session.findObjects(matching: [.label("promoted")]) == [promoted])
        try session.destroyObject(promoted)
        try session.destroyObject(staged)
        #expect(try session.findObjects(matching: [.class(.secretKey)]).isEmpty)
    }

    @Test("Nested templates (CKA_UNWRAP_TEMPLATE) are written and read back")
    func nestedTemplate() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("tmpl")
        let module = try await SoftHSMFixture.shared.module()
        let session = try module.loggedInSession(token)
        let inner: [Attribute] = [.bool(.sensitive, true), .bool(.wrapWithTrusted, true)]
        let kek = try session.generateKey(
            .aesKeyGen,
            template: [
                .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, false), .bool(.wrap, true),
                .bool(.unwrap, true), .bool(.extractable, false), .template(.unwrapTemplate, inner),
                .allowedMechanisms([.aesKeyWrap, .aesKeyWrapPad]),
            ])
        let readBack = try #require(try session.template(.unwrapTemplate, of: kek))
        #expect(Set(readBack) == Set(inner))
        #expect(
            try session.template(.wrapTemplate, of: kek) == nil || (try session.template(.wrapTemplate, of: kek)) == [])
        #expect(
            try session.attributes([.allowedMechanisms], of: kek).allowedMechanisms == [.aesKeyWrap, .aesKeyWrapPad])
    }
}
