internal import CPKCS11
public import SecureMemory

/// Why `Session.findObject(matching:)` found no single object.
public enum ObjectLookupError: Error, Hashable, Sendable, CustomStringConvertible {
    case noMatch(template: String)
    case multipleMatches(count: Int, template: String)

    public var description: String {
        switch self {
        case .noMatch(let template):
            return "no object matches \(template)"
        case .multipleMatches(let count, let template):
            return "\(count) objects match \(template); expected exactly one"
        }
    }
}

extension Session {
    /// Calls `C_FindObjectsInit`, `C_FindObjects` in batches and `C_FindObjectsFinal`.
    ///
    /// - Parameters:
    ///   - template: attributes every match must have; empty matches every object the session sees.
    ///   - batchSize: handles fetched per `C_FindObjects` call.
    public func findObjects(matching template: [Attribute] = [], batchSize: Int = 1024) throws(PKCS11Error)
        -> [ObjectHandle]
    {
        try withCTemplate(template) { (pointer, count) throws(PKCS11Error) in
            try check(functions.C_FindObjectsInit(handle, pointer, count), .findObjectsInit)
        }
        var found: [ObjectHandle] = []
        var batch = [CK_OBJECT_HANDLE](repeating: 0, count: max(batchSize, 1))
        do {
            while true {
                var got: CK_ULONG = 0
                try check(functions.C_FindObjects(handle, &batch, CK_ULONG(batch.count), &got), .findObjects)
                if got == 0 { break }
                found.append(contentsOf: batch.prefix(Int(got)).map { ObjectHandle(rawValue: UInt($0)) })
            }
        } catch {
            _ = functions.C_FindObjectsFinal(handle)
            throw error
        }
        try check(functions.C_FindObjectsFinal(handle), .findObjectsFinal)
        return found
    }

    /// The one object matching `template`.
    ///
    /// - Throws: ``ObjectLookupError`` for zero or several matches, ``PKCS11Error`` for failed calls.
    public func findObject(matching template: [Attribute]) throws -> ObjectHandle {
        let found = try findObjects(matching: template, batchSize: 2)
        let rendered = "[" + template.map(\.description).joined(separator: ", ") + "]"
        guard let first = found.first else {
            throw ObjectLookupError.noMatch(template: rendered)
        }
        guard found.count == 1 else {
            throw ObjectLookupError.multipleMatches(count: found.count, template: rendered)
        }
        return first
    }

    /// Calls `C_GetAttributeValue` once for all `types`, and again only for attributes whose status
    /// the first call left ambiguous or whose value did not fit.
    ///
    /// Each attribute gets its own ``AttributeStatus``: a sensitive, invalid or unavailable
    /// attribute never fails the read. Nested templates (`CKA_UNWRAP_TEMPLATE`) are read with
    /// ``template(_:of:)``.
    /// - Throws: ``PKCS11Error`` only when the call fails as a whole (for example
    ///   `CKR_OBJECT_HANDLE_INVALID`).
    ///
    /// - Parameter presumedInvalid: for bulk enumeration. When the module answers
    ///   `CKR_ATTRIBUTE_TYPE_INVALID` or `CKR_ATTRIBUTE_SENSITIVE`, an unresolved attribute for
    ///   which this returns true (given what the same call did return, e.g. the object's class) is
    ///   marked ``AttributeStatus/invalid`` without another call. Everything else is still resolved
    ///   one by one, so a value that merely did not fit is never mistaken for a missing one.
    public func attributes(
        _ types: [AttributeType], of object: ObjectHandle,
        presumedInvalid: (AttributeType, AttributeSet) -> Bool = { _, _ in false }
    ) throws(PKCS11Error) -> AttributeSet {
        let sizes = types.map(\.expectedSize)
        let total = sizes.reduce(0, +)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 8)
        defer { buffer.deallocate() }
        var template = [CK_ATTRIBUTE]()
        template.reserveCapacity(types.count)
        var offset = 0
        for (type, size) in zip(types, sizes) {
            template.append(
                CK_ATTRIBUTE(
                    type: CK_ATTRIBUTE_TYPE(type.rawValue), pValue: buffer + offset, ulValueLen: CK_ULONG(size)))
            offset += size
        }
        let rv = functions.C_GetAttributeValue(
            handle, CK_OBJECT_HANDLE(object.rawValue), &template, CK_ULONG(types.count))
        switch rv {
        case CK_RV(CKR_OK), CK_RV(CKR_ATTRIBUTE_SENSITIVE), CK_RV(CKR_ATTRIBUTE_TYPE_INVALID),
            CK_RV(CKR_BUFFER_TOO_SMALL):
            break
        default:
            try check(rv, .getAttributeValue)
        }

        var statuses = [AttributeStatus](repeating: .unavailable, count: types.count)
        var unresolved: [Int] = []
        for index in template.indices {
            let length = template[index].ulValueLen
            if length == CPKCS11_CK_UNAVAILABLE_INFORMATION {
                unresolved.append(index)
            } else {
                let start = template[index].pValue!.assumingMemoryBound(to: UInt8.self)
                statuses[index] = .available(Array(UnsafeBufferPointer(start: start, count: Int(length))))
            }
        }
        // One unresolved attribute and a specific code: the code is that attribute's status.
        if unresolved.count == 1 && rv == CKR_ATTRIBUTE_SENSITIVE {
            statuses[unresolved[0]] = .sensitive
        } else if unresolved.count == 1 && rv == CKR_ATTRIBUTE_TYPE_INVALID {
            statuses[unresolved[0]] = .invalid
        } else if rv != CKR_OK {
            let presumable = rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE
            let known = AttributeSet(types: types, statuses: statuses)
            for index in unresolved {
                if presumable && presumedInvalid(types[index], known) {
                    statuses[index] = .invalid
                } else {
                    statuses[index] = try attributeAlone(types[index], of: object)
                }
            }
        }
        return AttributeSet(types: types, statuses: statuses)
    }

    /// Reads one attribute by itself: a size query, then the value.
    private func attributeAlone(_ type: AttributeType, of object: ObjectHandle) throws(PKCS11Error) -> AttributeStatus {
        var query = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type.rawValue), pValue: nil, ulValueLen: 0)
        let rv = functions.C_GetAttributeValue(handle, CK_OBJECT_HANDLE(object.rawValue), &query, 1)
        switch rv {
        case CK_RV(CKR_ATTRIBUTE_SENSITIVE):
            return .sensitive
        case CK_RV(CKR_ATTRIBUTE_TYPE_INVALID):
            return .invalid
        case CK_RV(CKR_OK):
            break
        default:
            if ReturnCode(rawValue: UInt(rv)).leavesOutcomeUnknown || rv == CKR_OBJECT_HANDLE_INVALID {
                try check(rv, .getAttributeValue)
            }
            return .unavailable
        }
        guard query.ulValueLen != CPKCS11_CK_UNAVAILABLE_INFORMATION else { return .unavailable }
        var value = [UInt8](repeating: 0, count: Int(query.ulValueLen))
        let fetched = value.withUnsafeMutableBytes { bytes in
            query.pValue = bytes.baseAddress
            return functions.C_GetAttributeValue(handle, CK_OBJECT_HANDLE(object.rawValue), &query, 1)
        }
        guard fetched == CKR_OK, query.ulValueLen != CPKCS11_CK_UNAVAILABLE_INFORMATION else { return .unavailable }
        return .available(Array(value.prefix(Int(query.ulValueLen))))
    }

    /// Reads an attribute whose value is itself a template (`CKA_UNWRAP_TEMPLATE`,
    /// `CKA_WRAP_TEMPLATE`, `CKA_DERIVE_TEMPLATE`), in the three calls PKCS#11 requires.
    ///
    /// - Returns: the nested attributes, or `nil` when the object has no such attribute.
    public func template(_ type: AttributeType, of object: ObjectHandle) throws(PKCS11Error) -> [Attribute]? {
        let objectHandle = CK_OBJECT_HANDLE(object.rawValue)
        var outer = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type.rawValue), pValue: nil, ulValueLen: 0)
        let sized = functions.C_GetAttributeValue(handle, objectHandle, &outer, 1)
        if sized == CKR_ATTRIBUTE_TYPE_INVALID || outer.ulValueLen == CPKCS11_CK_UNAVAILABLE_INFORMATION {
            return nil
        }
        try check(sized, .getAttributeValue)
        let count = Int(outer.ulValueLen) / MemoryLayout<CK_ATTRIBUTE>.stride
        guard count > 0 else { return [] }
        var inner = [CK_ATTRIBUTE](repeating: CK_ATTRIBUTE(type: 0, pValue: nil, ulValueLen: 0), count: count)
        try inner.withUnsafeMutableBufferPointer { (buffer) throws(PKCS11Error) in
            outer.pValue = UnsafeMutableRawPointer(buffer.baseAddress)
            try check(functions.C_GetAttributeValue(handle, objectHandle, &outer, 1), .getAttributeValue)
        }
        var storage: [UnsafeMutableRawPointer] = []
        defer { storage.forEach { $0.deallocate() } }
        for index in inner.indices {
            let pointer = UnsafeMutableRawPointer.allocate(
                byteCount: max(Int(inner[index].ulValueLen), 1), alignment: 8)
            storage.append(pointer)
            inner[index].pValue = pointer
        }
        try inner.withUnsafeMutableBufferPointer { (buffer) throws(PKCS11Error) in
            outer.pValue = UnsafeMutableRawPointer(buffer.baseAddress)
            try check(functions.C_GetAttributeValue(handle, objectHandle, &outer, 1), .getAttributeValue)
        }
        return inner.map { attribute in
            let bytes = UnsafeRawBufferPointer(start: attribute.pValue, count: Int(attribute.ulValueLen))
            return Attribute(AttributeType(rawValue: UInt(attribute.type)), .bytes(Array(bytes)))
        }
    }

    /// Calls `C_SetAttributeValue`.
    public func setAttributes(_ attributes: [Attribute], of object: ObjectHandle) throws(PKCS11Error) {
        let rv = withCTemplate(attributes) { pointer, count in
            functions.C_SetAttributeValue(handle, CK_OBJECT_HANDLE(object.rawValue), pointer, count)
        }
        try check(rv, .setAttributeValue)
    }

    /// Calls `C_CreateObject`.
    ///
    /// > Warning: SoftHSM2 creates a token object before applying the template and keeps it when
    /// > the template fails (a "ghost"). Stage as a session object and promote with ``copyObject(_:template:)``.
    public func createObject(_ template: [Attribute]) throws(PKCS11Error) -> ObjectHandle {
        var object: CK_OBJECT_HANDLE = 0
        let rv = withCTemplate(template) { pointer, count in
            functions.C_CreateObject(handle, pointer, count, &object)
        }
        try check(rv, .createObject)
        return ObjectHandle(rawValue: UInt(object))
    }

    /// Calls `C_CreateObject` with `CKA_VALUE` lent straight from a secret buffer (never copied).
    public func createObject(_ template: [Attribute], secretValue: borrowing SecretBytes) throws(PKCS11Error)
        -> ObjectHandle
    {
        var object: CK_OBJECT_HANDLE = 0
        let rv = secretValue.withUnsafeBytes { value in
            let attribute = CK_ATTRIBUTE(
                type: CK_ATTRIBUTE_TYPE(CKA_VALUE), pValue: UnsafeMutableRawPointer(mutating: value.baseAddress),
                ulValueLen: CK_ULONG(value.count))
            return withCTemplate(template, extra: attribute) { pointer, count in
                functions.C_CreateObject(handle, pointer, count, &object)
            }
        }
        try check(rv, .createObject)
        return ObjectHandle(rawValue: UInt(object))
    }

    /// Calls `C_CreateObject` with several secret attributes (an RSA private key's `CKA_PRIVATE_EXPONENT`,
    /// primes, exponents and coefficient) lent straight from their secret buffers (never copied).
    public func createObject(_ template: [Attribute], secrets: [(type: AttributeType, value: SecretBox)])
        throws(PKCS11Error) -> ObjectHandle
    {
        var object: CK_OBJECT_HANDLE = 0
        func lend(_ rest: ArraySlice<(type: AttributeType, value: SecretBox)>, _ lent: [CK_ATTRIBUTE]) -> CK_RV {
            guard let first = rest.first else {
                return withCTemplate(template, extras: lent) { pointer, count in
                    functions.C_CreateObject(handle, pointer, count, &object)
                }
            }
            return first.value.withUnsafeBytes { value in
                let attribute = CK_ATTRIBUTE(
                    type: CK_ATTRIBUTE_TYPE(first.type.rawValue),
                    pValue: UnsafeMutableRawPointer(mutating: value.baseAddress), ulValueLen: CK_ULONG(value.count))
                return lend(rest.dropFirst(), lent + [attribute])
            }
        }
        try check(lend(secrets[...], []), .createObject)
        return ObjectHandle(rawValue: UInt(object))
    }

    /// Calls `C_CopyObject`; `template` changes the copy (for example `CKA_TOKEN=true` to promote
    /// a staged session object).
    public func copyObject(_ object: ObjectHandle, template: [Attribute]) throws(PKCS11Error) -> ObjectHandle {
        var copy: CK_OBJECT_HANDLE = 0
        let rv = withCTemplate(template) { pointer, count in
            functions.C_CopyObject(handle, CK_OBJECT_HANDLE(object.rawValue), pointer, count, &copy)
        }
        try check(rv, .copyObject)
        return ObjectHandle(rawValue: UInt(copy))
    }

    /// Calls `C_DestroyObject`.
    public func destroyObject(_ object: ObjectHandle) throws(PKCS11Error) {
        try check(functions.C_DestroyObject(handle, CK_OBJECT_HANDLE(object.rawValue)), .destroyObject)
    }
}
