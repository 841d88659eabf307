internal import CPKCS11

/// Lays a Swift template out as a `CK_ATTRIBUTE` array (nested templates included) in memory that
/// lives exactly as long as `body`.
func withCTemplate<R, E: Error>(
    _ attributes: [Attribute],
    extra: CK_ATTRIBUTE? = nil,
    _ body: (UnsafeMutablePointer<CK_ATTRIBUTE>?, CK_ULONG) throws(E) -> R
) throws(E) -> R {
    try withCTemplate(attributes, extras: extra.map { [$0] } ?? [], body)
}

/// As ``withCTemplate(_:extra:_:)``, with several caller-owned attributes appended (secret values
/// lent from their buffers, never copied).
func withCTemplate<R, E: Error>(
    _ attributes: [Attribute],
    extras: [CK_ATTRIBUTE],
    _ body: (UnsafeMutablePointer<CK_ATTRIBUTE>?, CK_ULONG) throws(E) -> R
) throws(E) -> R {
    var allocations: [UnsafeMutableRawPointer] = []
    defer { allocations.forEach { $0.deallocate() } }

    func layOut(_ attributes: [Attribute], extras: [CK_ATTRIBUTE]) -> (UnsafeMutablePointer<CK_ATTRIBUTE>?, Int) {
        let count = attributes.count + extras.count
        guard count > 0 else { return (nil, 0) }
        let array = UnsafeMutablePointer<CK_ATTRIBUTE>.allocate(capacity: count)
        allocations.append(UnsafeMutableRawPointer(array))
        for (index, attribute) in attributes.enumerated() {
            switch attribute.value {
            case .bytes(let bytes):
                let storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
                allocations.append(storage)
                bytes.withUnsafeBytes { storage.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                array[index] = CK_ATTRIBUTE(
                    type: CK_ATTRIBUTE_TYPE(attribute.type.rawValue), pValue: storage,
                    ulValueLen: CK_ULONG(bytes.count))
            case .template(let nested):
                let (pointer, nestedCount) = layOut(nested, extras: [])
                array[index] = CK_ATTRIBUTE(
                    type: CK_ATTRIBUTE_TYPE(attribute.type.rawValue), pValue: UnsafeMutableRawPointer(pointer),
                    ulValueLen: CK_ULONG(nestedCount * MemoryLayout<CK_ATTRIBUTE>.stride))
            }
        }
        for (index, extra) in extras.enumerated() {
            array[attributes.count + index] = extra
        }
        return (array, count)
    }

    let (pointer, count) = layOut(attributes, extras: extras)
    return try body(pointer, CK_ULONG(count))
}
