import HSMSyncModel

/// The shares or groups an error is about, by number (shares in entry order, groups by index, both from 1).
public enum ShareSubject: Sendable, Hashable, CustomStringConvertible {
    /// Shares, by entry number.
    case shares([Int])
    /// Groups, by group number (group index + 1).
    case groups([Int])

    /// How many shares or groups.
    var count: Int {
        switch self {
        case .shares(let numbers), .groups(let numbers): numbers.count
        }
    }

    var isSingle: Bool { count == 1 }

    /// "share" or "group".
    var noun: String {
        switch self {
        case .shares: "share"
        case .groups: "group"
        }
    }

    /// "entry 3", "entries 1, 2 and 4" (shares by entry order: "share N" is the number a share carries), "groups 1 and 3".
    public var description: String {
        let numbers: [Int]
        switch self {
        case .shares(let list), .groups(let list): numbers = list
        }
        let names = numbers.map(String.init)
        let list =
            names.count <= 1
            ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names[names.count - 1]
        switch self {
        case .shares: return "\(isSingle ? "entry" : "entries") \(list)"
        case .groups: return "group\(isSingle ? "" : "s") \(list)"
        }
    }
}
