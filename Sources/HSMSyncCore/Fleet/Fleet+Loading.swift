import Foundation
public import HSMSyncModel
import SecureMemory
import SignedLog

extension Fleet {
    /// Reads, parses and validates a fleet file; touches no HSM and loads no module.
    ///
    /// Relative paths in the file (modules with a `/`, PIN files, the log directory and key) are
    /// resolved against the file's own directory. Each HSM's PIN source is preflighted.
    /// The fleet keeps the digest of the bytes read here (``Fleet/fileDigest``).
    /// - Throws: ``YAMLError`` (with the YAML path and line) or ``PINSourceError``, both exit 2.
    public static func load(from path: String) throws -> Fleet {
        let text: String
        let digest: AuditDigest
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw YAMLError(file: path, path: "", line: nil, reason: "the file is not UTF-8")
            }
            text = decoded
            // Of the bytes, not of `text`: decoding drops a byte order mark.
            digest = .sha256(of: data)
        } catch let error as YAMLError {
            throw error
        } catch {
            throw YAMLError(
                file: path, path: "", line: nil, reason: "cannot read the fleet file: \(error.localizedDescription)")
        }
        let fleet = try parse(text, path: path, fileDigest: digest)
        for hsm in fleet.hsms {
            try hsm.pin.preflight(hsm: hsm.name)
        }
        return fleet
    }

    /// Parses and validates fleet YAML (no PIN preflight); the fleet's ``Fleet/fileDigest`` is
    /// that of `text` in UTF-8.
    public static func parse(_ text: String, path: String) throws(YAMLError) -> Fleet {
        try parse(text, path: path, fileDigest: .sha256(of: text.utf8))
    }

    private static func parse(_ text: String, path: String, fileDigest: AuditDigest) throws(YAMLError) -> Fleet {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") ? file : base.appendingPathComponent(file).standardizedFileURL.path
        }

        let root = try YAMLValue.parse(text, file: path).mapping(allowedKeys: [
            "name", "log", "hsms", "keys", "transport", "backup", "policy", "state", "service",
        ])
        let name = try root.required("name").nonEmptyString()

        let hsms = try parseHSMs(try root.required("hsms"), resolve: resolve)
        let hsmNames = Set(hsms.map(\.name))

        var keys = KeyScope()
        if let value = root.optional("keys") {
            let mapping = try value.mapping(allowedKeys: ["include", "exclude"])
            keys = KeyScope(
                include: try mapping.optional("include")?.stringList() ?? ["*"],
                exclude: try mapping.optional("exclude")?.stringList() ?? [])
        }

        var transport = TransportSettings()
        if let value = root.optional("transport") {
            let mapping = try value.mapping(allowedKeys: ["label"])
            transport = TransportSettings(label: try mapping.required("label").nonEmptyString())
        }

        var log: LogSettings?
        if let value = root.optional("log") {
            let mapping = try value.mapping(allowedKeys: ["dir", "key"])
            let directory = resolve(try mapping.required("dir").nonEmptyString())
            let key = try parseSigningKey(try mapping.required("key"), hsms: hsmNames, resolve: resolve)
            log = LogSettings(directory: directory, key: key)
        }

        var backup = BackupSettings()
        if let value = root.optional("backup") {
            backup = try parseBackup(value, transportLabel: transport.label, hsms: hsmNames, resolve: resolve)
        }

        var policy = ReplicationPolicy()
        if let value = root.optional("policy") {
            let mapping = try value.mapping(allowedKeys: ["requireWrapWithTrusted"])
            if let flag = mapping.optional("requireWrapWithTrusted") {
                policy.requireWrapWithTrusted = try flag.bool()
            }
        }

        var stateDirectory: String?
        if let value = root.optional("state") {
            let mapping = try value.mapping(allowedKeys: ["dir"])
            stateDirectory = resolve(try mapping.required("dir").nonEmptyString())
        }

        var fleet = Fleet(
            name: name, hsms: hsms, keys: keys, transport: transport, log: log, backup: backup, policy: policy,
            stateDirectory: stateDirectory, path: path, fileDigest: fileDigest)
        if let value = root.optional("service") {
            fleet.service = try parseService(value, stateDirectory: fleet.stateDirectory, resolve: resolve)
        }
        return fleet
    }

    /// The `hsms` list: at least one, names unique, not all of them secondaries.
    private static func parseHSMs(_ list: YAMLValue, resolve: (String) -> String) throws(YAMLError)
        -> [HSMConfiguration]
    {
        let hsmValues = try list.sequence()
        guard !hsmValues.isEmpty else {
            throw list.error("the fleet needs at least one HSM")
        }
        var hsms: [HSMConfiguration] = []
        var firstPath: [String: String] = [:]
        for value in hsmValues {
            let hsm = try parseHSM(value, resolve: resolve)
            if let earlier = firstPath[hsm.name] {
                throw value.error("duplicate HSM name \"\(hsm.name)\" (first defined at \(earlier))")
            }
            firstPath[hsm.name] = value.path
            hsms.append(hsm)
        }
        guard hsms.contains(where: { $0.role != .secondary }) else {
            throw list.error(
                "every HSM is a secondary: at least one primary or member must hold the authoritative keys")
        }
        return hsms
    }

    /// `file:PATH` or `{hsm: NAME, label: LABEL}` (log.key, backup.signing-key).
    private static func parseSigningKey(_ keyValue: YAMLValue, hsms: Set<String>, resolve: (String) -> String)
        throws(YAMLError) -> LogSettings.LogKey
    {
        if let text = try? keyValue.string() {
            guard text.hasPrefix("file:"), text.count > 5 else {
                throw keyValue.error("expected file:PATH or a mapping {hsm: NAME, label: LABEL}")
            }
            return .file(path: resolve(String(text.dropFirst(5))))
        }
        let keyMapping = try keyValue.mapping(allowedKeys: ["hsm", "label"])
        let hsmName = try keyMapping.required("hsm").nonEmptyString()
        guard hsms.contains(hsmName) else {
            throw try keyMapping.required("hsm").error("no HSM named \"\(hsmName)\" in hsms")
        }
        return .hsm(name: hsmName, label: try keyMapping.required("label").nonEmptyString())
    }

    private static func parseBackup(
        _ value: YAMLValue, transportLabel: String, hsms: Set<String>, resolve: (String) -> String
    ) throws(YAMLError) -> BackupSettings {
        let mapping = try value.mapping(allowedKeys: ["key-label", "signing-key", "vkey"])
        let keyLabel = try mapping.optional("key-label")?.nonEmptyString()
        if let keyLabel, keyLabel == transportLabel {
            throw try mapping.required("key-label").error(
                "the backup key label equals the transport label; leave key-label out to use the transport key")
        }
        var signingKey: LogSettings.LogKey?
        if let keyValue = mapping.optional("signing-key") {
            signingKey = try parseSigningKey(keyValue, hsms: hsms, resolve: resolve)
        }
        return BackupSettings(
            keyLabel: keyLabel, signingKey: signingKey,
            verifierKeyPath: (try mapping.optional("vkey")?.nonEmptyString()).map(resolve))
    }

    private static func parseHSM(_ value: YAMLValue, resolve: (String) -> String) throws(YAMLError) -> HSMConfiguration
    {
        let mapping = try value.mapping(allowedKeys: [
            "name", "role", "site", "module", "server", "initArgs", "token", "pin",
        ])
        let nameValue = try mapping.required("name")
        let name = try nameValue.nonEmptyString()
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw nameValue.error("HSM names may use letters, digits, '.', '_' and '-' only")
        }

        let roleValue = try mapping.required("role")
        let roleText = try roleValue.string()
        guard let role = HSMRole(rawValue: roleText) else {
            throw roleValue.error("unknown role \"\(roleText)\" (primary, member or secondary)")
        }

        let module = try mapping.required("module").nonEmptyString()
        // A bare file name is left to the dynamic loader's search path; anything with a slash is a path.
        let modulePath = module.contains("/") ? resolve(module) : module

        let tokenValue = try mapping.required("token")
        let tokenText = try tokenValue.string()
        let token: TokenSelector
        do {
            token = try TokenSelector(tokenText)
        } catch {
            throw tokenValue.error(error.description)
        }

        let pin = try parseSecretSource(try mapping.required("pin"), what: "a PIN", resolve: resolve)

        let server = try mapping.optional("server")?.nonEmptyString()
        let site = try mapping.optional("site")?.string() ?? ""
        return HSMConfiguration(
            name: name, role: role, site: site, modulePath: modulePath, serverAddress: server,
            initArguments: try mapping.optional("initArgs")?.nonEmptyString(), token: token, pin: pin)
    }

    /// `env:NAME`, `file:PATH` or `prompt` (PINs), never the secret itself, which is never echoed.
    static func parseSecretSource(
        _ value: YAMLValue, what: String, allowPrompt: Bool = true, resolve: (String) -> String
    ) throws(YAMLError) -> PINSource {
        let expected =
            allowPrompt
            ? "expected env:NAME, file:PATH or prompt; \(what) never goes in the fleet file"
            : "expected env:NAME or file:PATH; \(what) never goes in the fleet file"
        let text: String
        do {
            text = try value.string()
        } catch {
            // The decoder's message quotes the value (`quote it if you mean the text "on"`): a
            // secret typed here by mistake would be echoed.
            throw value.error(expected)
        }
        if allowPrompt, text == "prompt" {
            return .prompt
        } else if text.hasPrefix("env:"), text.count > 4 {
            let variable = String(text.dropFirst(4))
            guard variable.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
                !(variable.first?.isNumber ?? true)
            else {
                throw value.error("\"\(variable)\" is not an environment variable name")
            }
            return .environment(name: variable)
        } else if text.hasPrefix("file:"), text.count > 5 {
            return .file(path: resolve(String(text.dropFirst(5))))
        }
        // Never echo the value: it may be the secret itself.
        throw value.error(expected)
    }
}
