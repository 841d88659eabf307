internal import CPKCS11
import SecureMemory

/// An RFC 7512 PKCS#11 URI that selects one token (`pkcs11:token=primary;serial=…`), parsed and
/// matched by p11-kit's own parser.
///
/// Only token attributes select: a URI that names a slot number, carries a PIN (`pin-value`,
/// `pin-source`), or has attributes p11-kit does not recognise is refused, so a typo can never
/// silently widen the match.
public struct TokenURI: Hashable, Sendable, CustomStringConvertible {
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

    /// Why a URI was refused.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case malformed(uri: String, reason: String)
        case carriesPIN(uri: String)
        case selectsBySlot(uri: String)
        case unrecognizedAttribute(uri: String)
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
            case .unrecognizedAttribute(let uri):
                return "PKCS#11 URI \"\(uri)\" has an attribute p11-kit does not recognise for selecting a token"
            case .selectsNoToken(let uri):
                return "PKCS#11 URI \"\(uri)\" names no token attribute (token=, serial=, model=, manufacturer=)"
            }
        }
    }

    /// Parses and checks a token URI.
    ///
    /// - Throws: ``ParseError``; the message never repeats a PIN found in the URI.
    public init(_ text: String) throws(ParseError) {
        // Checked before parsing, so that no later message can echo a PIN.
        let lowered = text.lowercased()
        if lowered.contains("pin-value") || lowered.contains("pin-source") {
            throw .carriesPIN(uri: "<redacted>")
        }
        // p11-kit 0.24.1 does not know slot-id when parsing for a token; name the real problem.
        if lowered.contains("slot-id=") {
            throw .selectsBySlot(uri: text)
        }
        guard let uri = p11_kit_uri_new() else {
            throw .malformed(uri: text, reason: "out of memory")
        }
        defer { p11_kit_uri_free(uri) }
        let result = p11_kit_uri_parse(text, P11_KIT_URI_FOR_TOKEN, uri)
        if p11_kit_uri_get_pin_value(uri) != nil || p11_kit_uri_get_pin_source(uri) != nil {
            throw .carriesPIN(uri: "<redacted>")
        }
        guard result == P11_KIT_URI_OK.rawValue else {
            let reason = p11_kit_uri_message(result).map { String(cString: $0) } ?? "error \(result)"
            throw .malformed(uri: text, reason: reason)
        }
        if p11_kit_uri_get_slot_id(uri) != CPKCS11_CK_UNAVAILABLE_INFORMATION {
            throw .selectsBySlot(uri: text)
        }
        if p11_kit_uri_any_unrecognized(uri) != 0 {
            throw .unrecognizedAttribute(uri: text)
        }
        let info = p11_kit_uri_get_token_info(uri)!.pointee
        func attribute<T>(_ tuple: T) -> String? {
            let value = fixedString(tuple)
            return value.isEmpty ? nil : value
        }
        self.text = text
        label = attribute(info.label)
        serialNumber = attribute(info.serialNumber)
        model = attribute(info.model)
        manufacturer = attribute(info.manufacturerID)
        if label == nil && serialNumber == nil && model == nil && manufacturer == nil {
            throw .selectsNoToken(uri: text)
        }
    }

    /// Whether the token matches every attribute the URI names (p11-kit's matcher).
    public func matches(_ token: TokenInfo) -> Bool {
        guard let uri = p11_kit_uri_new() else { return false }
        defer { p11_kit_uri_free(uri) }
        guard p11_kit_uri_parse(text, P11_KIT_URI_FOR_TOKEN, uri) == P11_KIT_URI_OK.rawValue else { return false }
        var raw = token.raw
        return p11_kit_uri_match_token_info(uri, &raw) == 1
    }

    public var description: String { text }
}
