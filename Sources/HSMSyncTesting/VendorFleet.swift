import Foundation

extension TestFleet.Member {
    /// An HSM on an NSS softoken test token, with its PIN in a file. Its fleet entry also needs the
    /// module's `initArgs`: write the fleet with ``TestFleet/init(name:members:nssTokens:extra:)``.
    public init(_ name: String, role: String, nss token: NSSToken, site: String = "site-a") {
        self.init(name, role: role, tokenURI: token.uri, module: NSSConfiguration.modulePath, pin: token.userPIN)
        self.site = site
    }

    /// An HSM on an opencryptoki software token of `Scripts/lib/with-opencryptoki`, with its PIN in a
    /// file. Child processes see the token because they run in the wrapper's namespace too.
    public init(
        _ name: String, role: String, openCryptoki token: OpenCryptokiToken, modulePath: String,
        site: String = "site-a"
    ) {
        self.init(name, role: role, tokenURI: token.uri, module: modulePath, pin: token.userPIN)
        self.site = site
    }
}

extension TestFleet {
    /// Writes a fleet like ``init(name:members:extra:)`` and gives every member whose module is NSS
    /// softoken `initArgs` naming all of `nssTokens`: NSS initialises once per process, so every NSS
    /// HSM of a fleet must give the same string (``NSSConfiguration/initArguments(for:)``).
    public init(name: String = "test-fleet", members: [Member], nssTokens: [NSSToken], extra: String = "") throws {
        try self.init(name: name, members: members, extra: extra)
        let nssMembers = members.filter { $0.module == NSSConfiguration.modulePath }.map(\.name)
        if !nssMembers.isEmpty && !nssTokens.isEmpty {
            try setInitArguments(NSSConfiguration.initArguments(for: nssTokens), forMembers: nssMembers)
        }
    }

    /// Adds `initArgs: "<arguments>"` to the entries of `names` in the fleet file (TestFleet.Member
    /// has no field for it).
    public func setInitArguments(_ arguments: String, forMembers names: [String]) throws {
        let escaped = arguments.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
            of: "\"", with: "\\\"")
        var remaining = Set(names)
        var lines: [String] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n") {
            lines.append(line)
            let prefix = "  - name: "
            if line.hasPrefix(prefix), remaining.remove(String(line.dropFirst(prefix.count))) != nil {
                lines.append("    initArgs: \"\(escaped)\"")
            }
        }
        guard remaining.isEmpty else {
            throw FixtureError.setupFailed("fleet \(path) has no entry for \(remaining.sorted())")
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
