import ArgumentParser

/// A mistyped command named as such (issue 13 item 13): `hsmsync audti --fleet F` says there is no
/// command `audti` and suggests `audit`, instead of ArgumentParser's "Unknown option '--fleet'"
/// (it reads an unknown word as an argument of the root command).
enum CommandSuggestion {
    /// The message for the first word of `arguments` that should name a subcommand and names none;
    /// `nil` when every command word is known (ArgumentParser then reports anything else).
    static func unknownCommand(in arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = HSMSync.self
        var path = ["hsmsync"]
        for argument in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !argument.hasPrefix("-"), argument != "help" else { return nil }
            if let next = subcommands.first(where: { name(of: $0) == argument }) {
                command = next
                path.append(argument)
                continue
            }
            let names = subcommands.map(name(of:))
            let close = names.map { ($0, distance($0, argument)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }
            return "hsmsync: \(path.joined(separator: " ")) has no command '\(argument)'"
                + (close.map { "; did you mean '\($0.0)'?" } ?? "")
                + " (commands: \(names.joined(separator: ", ")); see '\(path.joined(separator: " ")) --help')"
        }
        return nil
    }

    private static func name(of command: any ParsableCommand.Type) -> String {
        // ArgumentParser's own name: the configured one, else derived from the type's name.
        command._commandName
    }

    /// Levenshtein distance (commands are short words).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
