/// A slot identifier (`CK_SLOT_ID`). Only meaningful inside one module instance and one
/// `C_Initialize`: SoftHSM2 renumbers slots across restarts, so tokens are chosen by URI instead.
public struct SlotID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public var description: String { "slot \(rawValue)" }
}
