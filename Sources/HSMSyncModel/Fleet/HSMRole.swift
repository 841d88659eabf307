/// What an HSM is to the fleet (DESIGN.md "Role semantics").
public enum HSMRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// Authoritative: its keys must exist on every other HSM.
    case primary
    /// Accepts writes: a key found only on members must reach every other HSM.
    case member
    /// Only receives: a key found only there is `extra`, never propagated.
    case secondary
}
