/// The RFC 7512 PKCS#11 URI a fleet file selects one token with (`pkcs11:token=primary;serial=…`).
///
/// Only the four token attributes select: `token` (label), `serial`, `model`, `manufacturer`. Every
/// other attribute RFC 7512 defines is refused rather than ignored — a slot (SoftHSM2 renumbers
/// them), an object, a library, a module (`module-path`, `module-name`: the fleet file's `module:`
/// says that), a PIN (`pin-value`, `pin-source`: the fleet file's `pin:` says that) — so that what the
/// file says is what hsmsync does. Values are percent-decoded; matching compares whole fields.
public struct TokenSelector: Hashable, Sendable, CustomStringConvertible {
    /// The URI as written.
    public let text: String
    /// `token=` (the token label), when given.
    public let label: String?
    /// `serial=`, when given.
    public let serialNumber: String?
    /// `model=`, when given.
    public let model: String?
    /// `manufacturer=`, when given.
    public let manufacturer: String?

    /// Why a URI was refused. The messages never repeat a PIN the URI carried.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case malformed(uri: String, reason: String)
        case carriesPIN
        case selectsBySlot(uri: String)
        case notHonoured(uri: String, attribute: String, reason: String)
        case unrecognizedAttribute(uri: String, attribute: String)
        case selectsNoToken(uri: String)

        public var description: String {
            switch self {
            case .malformed(let uri, let reason):
                return "invalid PKCS#11 URI \"\(uri)\": \(reason)"
            case .carriesPIN:
                return "the PKCS#11 URI carries a PIN (pin-value or pin-source); name a PIN source in `pin:` instead"
            case .selectsBySlot(let uri):
                return
                    "PKCS#11 URI \"\(uri)\" selects by slot; select the token by token=, serial=, model= or manufacturer="
            case .notHonoured(let uri, let attribute, let reason):
                return "PKCS#11 URI \"\(uri)\": hsmsync does not honour \(attribute)= (\(reason))"
            case .unrecognizedAttribute(let uri, let attribute):
                return
                    "PKCS#11 URI \"\(uri)\" has an attribute hsmsync does not recognise (\(attribute)=); a token is "
                    + "selected by token=, serial=, model= or manufacturer="
            case .selectsNoToken(let uri):
                return "PKCS#11 URI \"\(uri)\" names no token attribute (token=, serial=, model=, manufacturer=)"
            }
        }
    }

    /// RFC 7512 attributes that are valid but that hsmsync will not act on, with what to do instead.
    private static let notHonoured: [String: String] = [
        "module-path": "the fleet file's module: names the library",
        "module-name": "the fleet file's module: names the library",
        "library-manufacturer": "a token is selected by its own attributes",
        "library-description": "a token is selected by its own attributes",
        "library-version": "a token is selected by its own attributes",
        "object": "the URI selects a token, not an object", "id": "the URI selects a token, not an object",
        "type": "the URI selects a token, not an object",
    ]

    /// Parses and checks a token URI.
    public init(_ text: String) throws(ParseError) {
        // Checked before anything else, so that no later message can echo a PIN.
        let lowered = text.lowercased()
        if lowered.contains("pin-value") || lowered.contains("pin-source") { throw .carriesPIN }
        guard text.hasPrefix("pkcs11:") else { throw .malformed(uri: text, reason: "it does not start with pkcs11:") }
        let rest = text.dropFirst("pkcs11:".count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var values: [String: String] = [:]
        for (index, part) in parts.enumerated() {
            let separator: Character = index == 0 ? ";" : "&"
            for pair in part.split(separator: separator) {
                guard let equals = pair.firstIndex(of: "=") else {
                    throw .malformed(uri: text, reason: "\"\(pair)\" is not name=value")
                }
                let name = String(pair[..<equals])
                guard let value = Self.percentDecoded(pair[pair.index(after: equals)...]) else {
                    throw .malformed(uri: text, reason: "bad percent-encoding in \(name)=")
                }
                if name.hasPrefix("slot-") { throw .selectsBySlot(uri: text) }
                if let reason = Self.notHonoured[name] {
                    throw .notHonoured(uri: text, attribute: name, reason: reason)
                }
                guard index == 0, ["token", "serial", "model", "manufacturer"].contains(name) else {
                    throw .unrecognizedAttribute(uri: text, attribute: name)
                }
                guard values[name] == nil else { throw .malformed(uri: text, reason: "\(name)= is given twice") }
                values[name] = value
            }
        }
        self.text = text
        label = values["token"].flatMap { $0.isEmpty ? nil : $0 }
        serialNumber = values["serial"].flatMap { $0.isEmpty ? nil : $0 }
        model = values["model"].flatMap { $0.isEmpty ? nil : $0 }
        manufacturer = values["manufacturer"].flatMap { $0.isEmpty ? nil : $0 }
        if label == nil && serialNumber == nil && model == nil && manufacturer == nil {
            throw .selectsNoToken(uri: text)
        }
    }

    /// Whether a token with these fields (as the token reports them, trailing blanks removed)
    /// matches every attribute the URI names.
    public func matches(label: String, serialNumber: String, model: String, manufacturer: String) -> Bool {
        (self.label.map { $0 == label } ?? true) && (self.serialNumber.map { $0 == serialNumber } ?? true)
            && (self.model.map { $0 == model } ?? true) && (self.manufacturer.map { $0 == manufacturer } ?? true)
    }

    /// The URI selecting a token by its label alone.
    public static func label(_ label: String) -> TokenSelector {
        // A label of printable characters always parses once encoded.
        try! TokenSelector("pkcs11:token=" + percentEncoded(label))
    }

    /// RFC 3986 percent-encoding of everything outside the unreserved set.
    public static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if character.isASCII && (character.isLetter || character.isNumber || "-._~".contains(character)) {
                encoded.append(character)
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        let utf8 = Array(text.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%") {
                guard index + 2 < utf8.count,
                    let value = UInt8(String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    public var description: String { text }
}

extension String {
    fileprivate func leftPadded(to count: Int) -> String {
        String(repeating: "0", count: Swift.max(0, count - self.count)) + self
    }
}

extension TokenSelector.ParseError: CategorizedError {
    public var category: FailureCategory { .invalidInput }
}
