/// A C2SP tlog-tiles resource path below `/log/tile/`: `<L>/<N>[.p/<W>]` for hash tiles,
/// `entries/<N>[.p/<W>]` for entry bundles, N written in groups of three digits (`x001/x234/067`).
/// Anything else — `..`, letters, leading zeros out of place, widths out of range — is not a tile.
struct TilePath: Hashable, Sendable {
    /// `nil` for an entry bundle.
    let level: Int?
    let index: UInt64
    /// The partial width, or `nil` for a full tile (256).
    let width: Int?

    static let fullWidth = 256

    init?(_ path: Substring) {
        var components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard components.count >= 2 else { return nil }
        let first = components.removeFirst()
        if first == "entries" {
            level = nil
        } else {
            guard first.count <= 2, first.allSatisfy(\.isASCIIDigit), let parsed = Int(first), parsed <= 63,
                first == String(parsed)
            else { return nil }
            level = parsed
        }
        var parsedWidth: Int?
        if components.count >= 2, components[components.count - 2].hasSuffix(".p") {
            let widthText = components.removeLast()
            guard widthText.allSatisfy(\.isASCIIDigit), !widthText.isEmpty, widthText.count <= 3,
                let value = Int(widthText), (1..<Self.fullWidth).contains(value), widthText == String(value)
            else { return nil }
            parsedWidth = value
            components[components.count - 1] = components[components.count - 1].dropLast(2)
        }
        width = parsedWidth
        guard !components.isEmpty, components.count <= 7 else { return nil }
        var value: UInt64 = 0
        for (position, component) in components.enumerated() {
            let digits = position == components.count - 1 ? component : component.dropFirst()
            guard position == components.count - 1 || component.first == "x", digits.count == 3,
                digits.allSatisfy(\.isASCIIDigit)
            else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: 1000)
            guard !overflow else { return nil }
            value = product + UInt64(digits)!
        }
        // The shortest encoding only: `x000/005` is not a name for tile 5.
        if components.count > 1, components[0] == "x000" { return nil }
        index = value
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
