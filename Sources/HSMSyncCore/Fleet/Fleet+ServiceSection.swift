import Foundation
import HSMSyncModel

extension Fleet {
    /// The `service:` section (DESIGN.md "The service"); every error names its YAML path.
    ///
    /// - Parameter stateDirectory: where the embedded database lives when `database:` is absent.
    static func parseService(_ value: YAMLValue, stateDirectory: String, resolve: (String) -> String)
        throws(YAMLError) -> ServiceSettings
    {
        let mapping = try value.mapping(allowedKeys: [
            "instance", "listen", "tls", "database", "databasePassword", "tokens", "schedule", "sync", "alerts",
            "lease",
            "metrics",
        ])
        let instanceValue = try mapping.required("instance")
        let instance = try instanceValue.nonEmptyString()
        guard instance.count <= 64,
            instance.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw instanceValue.error("instance names use letters, digits, '.', '_' and '-' only (at most 64)")
        }

        let listen = try parseListen(try mapping.required("listen"))
        var tls: TLSSettings?
        if let tlsValue = mapping.optional("tls") {
            let tlsMapping = try tlsValue.mapping(allowedKeys: ["cert", "key", "clientCA"])
            func file(_ key: String) throws(YAMLError) -> String? {
                guard let fileValue = tlsMapping.optional(key) else { return nil }
                let text = try fileValue.nonEmptyString()
                guard text.hasPrefix("file:"), text.count > 5 else { throw fileValue.error("expected file:PATH") }
                return resolve(String(text.dropFirst(5)))
            }
            guard let certificate = try file("cert") else { throw tlsValue.error("tls needs cert: file:PATH") }
            guard let key = try file("key") else { throw tlsValue.error("tls needs key: file:PATH") }
            tls = TLSSettings(certificatePath: certificate, keyPath: key, clientCAPath: try file("clientCA"))
        }
        if tls == nil, !listen.isLoopback {
            throw try mapping.required("listen").error(
                "plain HTTP is allowed on loopback only; add tls: {cert: file:…, key: file:…} to listen on \(listen.host)"
            )
        }

        let database = try mapping.optional("database").map { (value) throws(YAMLError) in
            try parseDatabase(value, resolve: resolve)
        }
        let databasePassword = try mapping.optional("databasePassword").map { (value) throws(YAMLError) in
            try parseSecretSource(value, what: "a password", allowPrompt: false, resolve: resolve)
        }

        let tokensValue = try mapping.required("tokens")
        let tokensText = try tokensValue.nonEmptyString()
        guard tokensText.hasPrefix("file:"), tokensText.count > 5 else {
            throw tokensValue.error("expected file:PATH (the API token file; `hsmsync serve token add` creates it)")
        }

        var metricsNeedToken = false
        if let metricsValue = mapping.optional("metrics") {
            switch try metricsValue.string() {
            case "open": metricsNeedToken = false
            case "token": metricsNeedToken = true
            default: throw metricsValue.error("expected open (no token) or token (a reader token)")
            }
        }

        var leaseSeconds = ServiceSettings.defaultLeaseSeconds
        if let leaseValue = mapping.optional("lease") {
            guard let seconds = Self.duration(try leaseValue.string()), seconds >= 2, seconds <= 300 else {
                throw leaseValue.error("expected a duration from 2s to 5m, e.g. 15s")
            }
            leaseSeconds = seconds
        }

        return ServiceSettings(
            instance: instance, listen: listen, tls: tls,
            database: database ?? .sqlite(path: stateDirectory + "/hsmsync.sqlite"),
            databasePassword: databasePassword, tokensPath: resolve(String(tokensText.dropFirst(5))),
            schedule: try parseSchedule(mapping.optional("schedule")), sync: try parseSync(mapping.optional("sync")),
            alerts: try parseAlerts(mapping.optional("alerts")), metricsNeedToken: metricsNeedToken,
            leaseSeconds: leaseSeconds)
    }

    private static func parseListen(_ value: YAMLValue) throws(YAMLError) -> ListenAddress {
        let text = try value.nonEmptyString()
        let host: Substring
        let port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            throw value.error("expected host:port, e.g. 127.0.0.1:8080")
        }
        // Port 0: the system picks a free port, and the service logs it (tests, several instances on one host).
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else {
            throw value.error("expected host:port with a port from 0 to 65535, e.g. 127.0.0.1:8080")
        }
        return ListenAddress(host: String(host), port: number)
    }

    private static func parseDatabase(_ value: YAMLValue, resolve: (String) -> String) throws(YAMLError)
        -> DatabaseLocation
    {
        let text = try value.nonEmptyString()
        if text.hasPrefix("sqlite:"), text.count > 7 {
            return .sqlite(path: resolve(String(text.dropFirst(7))))
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let url = URLComponents(string: text), let host = url.host, !host.isEmpty
        else {
            throw value.error("expected sqlite:PATH or postgres://user@host[:port]/database")
        }
        guard url.password == nil else {
            // Never echo the URL: it holds a password.
            throw value.error("the URL holds a password; give it with databasePassword: env:NAME or file:PATH")
        }
        guard let user = url.user, !user.isEmpty else {
            throw value.error("the URL names no user (postgres://user@host/db)")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw value.error("the URL names no database (postgres://user@host/db)") }
        let tls = try parseDatabaseTLS(url.queryItems ?? [], value: value, resolve: resolve)
        return .postgres(host: host, port: url.port ?? 5432, user: user, database: database, tls: tls)
    }

    /// `sslmode` (`disable`, `require` or `verify-full`) and, with `verify-full`, `sslrootcert`.
    private static func parseDatabaseTLS(
        _ items: [URLQueryItem], value: YAMLValue, resolve: (String) -> String
    ) throws(YAMLError) -> DatabaseTLS {
        var mode = "disable"
        var root: String?
        for item in items {
            switch item.name {
            case "sslmode": mode = item.value ?? ""
            case "sslrootcert": root = item.value.map(resolve)
            default:
                throw value.error("unknown URL parameter \(item.name) (sslmode and sslrootcert are understood)")
            }
        }
        switch mode {
        case "disable" where root == nil: return .disable
        case "require" where root == nil: return .require
        case "verify-full": return .verifyFull(rootCertificate: root)
        case "disable", "require": throw value.error("sslrootcert needs sslmode=verify-full")
        default: throw value.error("sslmode must be disable, require or verify-full, not \(mode)")
        }
    }

    private static func parseSchedule(_ value: YAMLValue?) throws(YAMLError) -> ScheduleSettings {
        guard let value else { return ScheduleSettings(audit: nil, drill: nil) }
        let mapping = try value.mapping(allowedKeys: ["audit", "drill"])
        func cron(_ key: String) throws(YAMLError) -> CronSchedule? {
            guard let cronValue = mapping.optional(key) else { return nil }
            do {
                return try CronSchedule(try cronValue.nonEmptyString())
            } catch let error as YAMLError {
                throw error
            } catch {
                throw cronValue.error("\(error)")
            }
        }
        return ScheduleSettings(audit: try cron("audit"), drill: try cron("drill"))
    }

    private static func parseSync(_ value: YAMLValue?) throws(YAMLError) -> SyncSettings {
        guard let value else { return SyncSettings(mode: .plan, interval: 60) }
        let mapping = try value.mapping(allowedKeys: ["mode", "interval"])
        var mode = SyncSettings.Mode.plan
        if let modeValue = mapping.optional("mode") {
            let text = try modeValue.string()
            guard let parsed = SyncSettings.Mode(rawValue: text) else {
                throw modeValue.error("unknown sync mode \"\(text)\" (plan or automatic)")
            }
            mode = parsed
        }
        var interval = 60.0
        if let intervalValue = mapping.optional("interval") {
            guard let seconds = Self.duration(try intervalValue.string()), seconds >= 1, seconds <= 86_400 else {
                throw intervalValue.error("expected a duration from 1s to 24h, e.g. 60s, 5m or 1h")
            }
            interval = seconds
        }
        return SyncSettings(mode: mode, interval: interval)
    }

    /// `30s`, `5m`, `1h` or a number of seconds.
    static func duration(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let last = text.last, let unit = units[last] {
            return Double(text.dropLast()).map { $0 * unit }
        }
        return Double(text)
    }

    private static func parseAlerts(_ value: YAMLValue?) throws(YAMLError) -> [AlertTarget] {
        guard let value else { return [] }
        var targets: [AlertTarget] = []
        for item in try value.sequence() {
            let mapping = try item.mapping(allowedKeys: ["webhook"])
            let urlValue = try mapping.required("webhook")
            let text = try urlValue.nonEmptyString()
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw urlValue.error("expected an http:// or https:// URL")
            }
            targets.append(.webhook(text))
        }
        return targets
    }
}
