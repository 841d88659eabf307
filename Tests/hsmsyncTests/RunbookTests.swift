import Foundation
import HSMSyncTesting
import Testing

/// Issue 13 item 6: docs/runbooks/nightly-parity-audit.md, followed literally on a fresh Debian 12
/// machine. Its blocks marked `runbook-test` run in order, as root, in a throwaway root
/// (Scripts/lib/throwaway-root: its own /etc, /var, /run and /usr/local, the host's programs bound
/// in read-only, a private mount namespace); the test plays only the parts the runbook leaves to the
/// operator (the softhsm2 package's files, the fleet's tokens, fleet file, PINs and transport key).
/// Then `systemd-analyze verify` checks the installed units and their drop-in, and the service's
/// ExecStart runs the way systemd would run it: as its User=, with its Environment=, the whole
/// root read-only but its ReadWritePaths= (ProtectSystem=strict), a private /tmp.
@Suite("Nightly audit runbook, followed literally in a throwaway root", .serialized)
struct RunbookTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let runbook = repository.appendingPathComponent("docs/runbooks/nightly-parity-audit.md")
    static let throwawayRoot = repository.appendingPathComponent("Scripts/lib/throwaway-root")
    static let installFiles = repository.appendingPathComponent("Scripts/lib/install-files")
    static let shippedService = repository.appendingPathComponent("dist/systemd/hsmsync-audit.service")
    static let steps = ["install", "users", "softhsm2", "log", "units", "cron"]

    // MARK: - The runbook's blocks

    /// A fenced block of the runbook whose info string carries `runbook-test`.
    struct Block {
        let step: String
        let text: String
        let line: Int
    }

    static func blocks() throws -> [Block] {
        let lines = try String(contentsOf: runbook, encoding: .utf8).components(separatedBy: "\n")
        var blocks: [Block] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```") else {
                index += 1
                continue
            }
            let info = line.dropFirst(3).split(separator: " ").map(String.init)
            let start = index + 1
            var end = start
            while end < lines.count && !lines[end].hasPrefix("```") { end += 1 }
            if info.contains("runbook-test") {
                let step = info.first { $0.hasPrefix("step=") }.map { String($0.dropFirst(5)) } ?? ""
                blocks.append(
                    Block(step: step, text: lines[start..<end].joined(separator: "\n") + "\n", line: start))
            }
            index = end + 1
        }
        return blocks
    }

    // MARK: - The units

    /// The [Service] settings of a unit file and its drop-ins, in systemd's order: a list setting
    /// accumulates, an empty assignment resets it, a backslash continues a line.
    struct ServiceSettings {
        var values: [String: [String]] = [:]

        init(files: [URL]) throws {
            for file in files {
                var section = ""
                var pending = ""
                for raw in try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n") {
                    var line = raw.trimmingCharacters(in: .whitespaces)
                    if !pending.isEmpty {
                        line = pending + " " + line
                        pending = ""
                    }
                    if line.hasSuffix("\\") {
                        pending = String(line.dropLast()).trimmingCharacters(in: .whitespaces)
                        continue
                    }
                    if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
                    if line.hasPrefix("[") {
                        section = line
                        continue
                    }
                    guard section == "[Service]", let equals = line.firstIndex(of: "=") else { continue }
                    let key = String(line[..<equals]).trimmingCharacters(in: .whitespaces)
                    let value = String(line[line.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
                    if value.isEmpty {
                        values[key] = []
                    } else {
                        values[key, default: []].append(value)
                    }
                }
            }
        }

        func words(_ key: String) -> [String] {
            (values[key] ?? []).flatMap { $0.split(separator: " ").map(String.init) }
        }
        func last(_ key: String) -> String? { values[key]?.last }
    }

    /// [Service] keys the emulation below honours, and keys that do not change what the command can
    /// read or write. Any other key fails the test: the emulation must learn it first.
    static let emulatedKeys: Set<String> = [
        "User", "Group", "Environment", "ExecStart", "ProtectSystem", "ReadWritePaths", "PrivateTmp",
        "NoNewPrivileges", "SuccessExitStatus",
    ]
    static let inertKeys: Set<String> = ["Type", "StandardOutput", "StandardError", "LimitCORE"]

    // MARK: - Running things in the throwaway root

    static func root(_ root: URL, _ arguments: [String], input: String? = nil) throws -> ProcessResult {
        try CommandRunner.run(throwawayRoot, [root.path] + arguments, input: input)
    }

    /// Runs a runbook block in the root as root, with `bash -euo pipefail`: a failing command fails the step.
    static func run(_ block: Block, in root: URL) throws -> ProcessResult {
        try Self.root(root, ["run", "bash", "-euo", "pipefail", "-c", block.text])
    }

    /// Runs `settings`' ExecStart as systemd would, with `readWritePaths` replacing its ReadWritePaths= if given.
    static func startService(
        _ settings: ServiceSettings, in root: URL, readWritePaths: [String]? = nil
    ) throws -> ProcessResult {
        var arguments = ["service", "--user", try #require(settings.last("User"))]
        for assignment in settings.values["Environment"] ?? [] {
            #expect(!assignment.contains("\""), "quoted Environment= is not emulated: \(assignment)")
            arguments += assignment.split(separator: " ").flatMap { ["--env", String($0)] }
        }
        if settings.last("ProtectSystem") == "strict" { arguments.append("--protect-system-strict") }
        if settings.last("PrivateTmp") == "yes" { arguments.append("--private-tmp") }
        for path in readWritePaths ?? settings.words("ReadWritePaths") { arguments += ["--rw", path] }
        let command = try #require(settings.last("ExecStart"))
        #expect(!command.contains("\"") && !command.contains("$") && !command.contains("%"), "\(command)")
        arguments.append("--")
        arguments += command.split(separator: " ").map(String.init)
        return try Self.root(root, arguments)
    }

    // MARK: - Tests

    @Test("The shipped unit: exit 1 (drift) is a result, exit 3 fails the unit; it may write what the audit writes")
    func shippedUnit() throws {
        let settings = try ServiceSettings(files: [Self.shippedService])
        #expect(settings.words("SuccessExitStatus") == ["1"], "never 3: \(settings.values)")
        let writable = Set(settings.words("ReadWritePaths"))
        for path in [
            "/var/lib/hsmsync/reports", "/var/lib/hsmsync/audit-log", "/var/lib/hsmsync/log-heads",
            "/run/lock/hsmsync", "/var/lib/prometheus/node-exporter",
        ] {
            #expect(writable.contains(path), "ReadWritePaths= lacks \(path)")
        }
        let command = settings.words("ExecStart")
        for option in ["--out", "--metrics"] {
            let file = try #require(command.firstIndex(of: option).map { command[$0 + 1] })
            let directory = (file as NSString).deletingLastPathComponent
            #expect(writable.contains(directory), "\(option) \(file): its directory is not writable")
        }
        #expect(settings.last("ProtectSystem") == "strict")
        #expect(settings.last("User") == "hsmsync")

        let blocks = try Self.blocks()
        #expect(blocks.map(\.step) == Self.steps, "the runbook's runbook-test blocks, in order")
        let cron = try #require(blocks.first { $0.step == "cron" })
        #expect(cron.text.contains("\nSOFTHSM2_CONF=/etc/softhsm/softhsm2.conf\n"), "\(cron.text)")
        #expect(cron.text.contains("[ \"$s\" -le 1 ] ||"), "cron logs every exit above 1: \(cron.text)")
    }

    @Test(
        "Every runbook-test block runs in a throwaway root; the units verify; the service runs in its sandbox and audits, logs and exports"
    )
    func runbookInThrowawayRoot() throws {
        try #require(getuid() == 0, "the runbook test needs root (useradd, bind mounts, chroot): run it as root")
        for tool in ["/usr/bin/unshare", "/usr/sbin/chroot", "/usr/bin/setpriv", "/usr/bin/systemd-analyze"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing")
        }
        let hostPasswd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        let hostUnit = "/usr/local/lib/systemd/system/hsmsync-audit.service"
        let hostHadUnit = FileManager.default.fileExists(atPath: hostUnit)

        // Not a TemporaryDirectory: the root is removed only while nothing is mounted below it in this
        // namespace (the bind mounts of the host's /usr live in the helper's own namespaces and die
        // with them; if one ever leaked here, removing the root would reach into the host's files).
        let root = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("hsmsync-runbook-\(UUID().uuidString.prefix(8))/root")
        defer { Self.removeUnlessMounted(root.deletingLastPathComponent()) }
        let initialised = try Self.root(root, ["init"])
        try #require(initialised.status == 0, "\(initialised)")
        let fresh = try Self.root(root, ["run", "getent", "passwd", "hsmsync"])
        #expect(fresh.status == 2, "a fresh root has no hsmsync user: \(fresh)")

        for block in try Self.blocks() {
            let context = "runbook line \(block.line), step \(block.step)"
            switch block.step {
            case "install":
                // The one step not run as written: Scripts/install builds for release (minutes). The test
                // installs its own debug build with the same installer, at the prefix the block names.
                let words = block.text.split(whereSeparator: \.isWhitespace).map(String.init)
                try #require(words.first == "Scripts/install", "\(context): \(block.text)")
                let prefix = words.firstIndex(of: "--prefix").map { words[$0 + 1] } ?? "/usr/local"
                let installed = try CommandRunner.run(
                    Self.installFiles,
                    ["--binary", CommandRunner.hsmsync.path, "--prefix", prefix, "--destdir", root.path])
                try #require(installed.status == 0, "\(context): \(installed)")
                continue
            case "softhsm2":
                try Self.installSoftHSMPackage(in: root)
            case "log":
                try Self.writeFleet(in: root)
            default:
                break
            }
            let result = try Self.run(block, in: root)
            try #require(result.status == 0, "\(context) failed:\n\(block.text)\(result)")

            switch block.step {
            case "users":
                try Self.expectLayout(in: root)
                let again = try Self.run(block, in: root)
                #expect(again.status == 0, "\(context) is safe to run again: \(again)")
            case "log":
                try Self.establishTransportKey(in: root)
            case "units":
                try Self.expectUnitsVerify(in: root)
                try Self.expectServiceRuns(in: root)
            case "cron":
                try Self.expectCronJobRuns(in: root)
            default:
                break
            }
        }

        #expect(try String(contentsOfFile: "/etc/passwd", encoding: .utf8) == hostPasswd, "the host's users changed")
        #expect(FileManager.default.fileExists(atPath: hostUnit) == hostHadUnit, "the host's units changed")
    }

    static func removeUnlessMounted(_ directory: URL) {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        guard !mounts.contains(directory.path) else {
            Issue.record("something is still mounted below \(directory.path): left in place\n\(mounts)")
            return
        }
        _ = try? CommandRunner.run(
            URL(fileURLWithPath: "/bin/rm"), ["-rf", "--one-file-system", directory.path])
    }

    // MARK: - What the operator (or a package) does between the runbook's blocks

    /// What Debian's softhsm2 package leaves behind: group softhsm, its configuration, the token directory.
    static func installSoftHSMPackage(in root: URL) throws {
        let result = try Self.root(
            root,
            [
                "run", "bash", "-euo", "pipefail", "-c",
                """
                getent group softhsm >/dev/null || groupadd --system softhsm
                install -d -m 2770 -o root -g softhsm /var/lib/softhsm /var/lib/softhsm/tokens
                install -d -m 0750 -o root -g softhsm /etc/softhsm
                printf '%s\\n' 'directories.tokendir = /var/lib/softhsm/tokens/' 'objectstore.backend = file' \
                    'log.level = ERROR' 'slots.removable = false' 'slots.mechanisms = ALL' \
                    'library.reset_on_fork = false' >/etc/softhsm/softhsm2.conf
                chown root:softhsm /etc/softhsm/softhsm2.conf && chmod 0640 /etc/softhsm/softhsm2.conf
                """,
            ])
        try #require(result.status == 0, "\(result)")
    }

    static let fleet = """
        name: runbook-fleet
        hsms:
          - name: primary-1
            role: primary
            module: /usr/lib/softhsm/libsofthsm2.so
            token: "pkcs11:token=runbook-primary"
            pin: file:pins/primary-1.pin
          - name: dr-1
            role: secondary
            module: /usr/lib/softhsm/libsofthsm2.so
            token: "pkcs11:token=runbook-dr"
            pin: file:pins/dr-1.pin
        log:
          dir: /var/lib/hsmsync/audit-log
          key: {hsm: primary-1, label: hsmsync-log}
        state:
          dir: /var/lib/hsmsync/state

        """

    /// Two SoftHSM2 tokens made by the service user, the fleet file and the PIN files as section 4 lays them out.
    static func writeFleet(in root: URL) throws {
        // Throwaway test tokens: softhsm2-util takes their PINs on its command line.
        let pin = "24680135"
        let tokens = try Self.root(
            root,
            [
                "run", "bash", "-euo", "pipefail", "-c",
                """
                export SOFTHSM2_CONF=/etc/softhsm/softhsm2.conf
                for label in runbook-primary runbook-dr; do
                    runuser -u hsmsync -- softhsm2-util --init-token --free --label "$label" \
                        --so-pin 1357924680 --pin \(pin) >/dev/null
                done
                """,
            ])
        try #require(tokens.status == 0, "\(tokens)")
        let file = try Self.root(
            root,
            [
                "run", "bash", "-euo", "pipefail", "-c",
                "install -m 0640 -o root -g hsmsync /dev/null /etc/hsmsync/fleet.yaml && cat >/etc/hsmsync/fleet.yaml",
            ],
            input: Self.fleet)
        try #require(file.status == 0, "\(file)")
        for hsm in ["primary-1", "dr-1"] {
            let path = "/etc/hsmsync/pins/\(hsm).pin"
            let written = try Self.root(
                root,
                [
                    "run", "bash", "-euo", "pipefail", "-c",
                    "install -m 0600 -o hsmsync -g hsmsync /dev/null \(path) && cat >\(path)",
                ],
                input: pin + "\n")
            try #require(written.status == 0, "\(written)")
        }
    }

    /// The transport key on both HSMs (a ceremony, done here by the service user): the fleet is then in parity.
    static func establishTransportKey(in root: URL) throws {
        let result = try Self.root(
            root,
            [
                "run", "bash", "-euo", "pipefail", "-c",
                """
                export SOFTHSM2_CONF=/etc/softhsm/softhsm2.conf
                shares="$(runuser -u hsmsync -- mktemp -d)"
                runuser -u hsmsync -- /usr/local/bin/hsmsync transport create --fleet /etc/hsmsync/fleet.yaml \
                    --hsm primary-1 --shares 2 --threshold 2 --out-dir "$shares"
                set -- "$shares"/*
                runuser -u hsmsync -- /usr/local/bin/hsmsync transport install --fleet /etc/hsmsync/fleet.yaml \
                    --hsm dr-1 --share "$1" --share "$2"
                rm -rf "$shares"
                """,
            ])
        try #require(result.status == 0, "\(result)")
    }

    // MARK: - Checks

    /// Owners and modes of section 2's table, as created by its block.
    static func expectLayout(in root: URL) throws {
        let expected = [
            "/var/lib/hsmsync": "hsmsync:hsmsync 750", "/var/lib/hsmsync/reports": "hsmsync:hsmsync 750",
            "/var/lib/hsmsync/audit-log": "hsmsync:hsmsync 750", "/var/lib/hsmsync/log-heads": "hsmsync:hsmsync 750",
            "/var/lib/hsmsync/state": "hsmsync:hsmsync 750", "/etc/hsmsync": "root:root 755",
            "/etc/hsmsync/pins": "hsmsync:hsmsync 700", "/var/lib/prometheus/node-exporter": "root:hsmsync 775",
            "/run/lock/hsmsync": "root:root 1777", "/usr/local/bin/hsmsync": "root:root 755",
            "/usr/local/lib/systemd/system/hsmsync-audit.service": "root:root 644",
            "/usr/local/lib/systemd/system/hsmsync-audit.timer": "root:root 644",
            "/usr/local/lib/tmpfiles.d/hsmsync.conf": "root:root 644",
            "/usr/local/share/man/man1/hsmsync.1": "root:root 644",
            "/usr/local/share/bash-completion/completions/hsmsync": "root:root 644",
        ]
        let stat = try Self.root(root, ["run", "stat", "-c", "%n %U:%G %a"] + expected.keys.sorted())
        try #require(stat.status == 0, "\(stat)")
        for line in stat.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
            #expect(expected[fields[0]] == fields[1], "\(fields[0]): \(fields[1])")
        }
        let user = try Self.root(root, ["run", "getent", "passwd", "hsmsync"])
        #expect(user.stdout.hasSuffix(":/var/lib/hsmsync:/usr/sbin/nologin\n"), "\(user)")
    }

    /// `systemd-analyze verify` on the installed units and drop-in: silent and exit 0. A key it does
    /// not know is only a warning there, so the output must be empty; proved on a unit with a typo.
    static func expectUnitsVerify(in root: URL) throws {
        let units = ["hsmsync-audit.service", "hsmsync-audit.timer"]
        let verify = try Self.root(root, ["run", "systemd-analyze", "verify"] + units)
        #expect(verify.status == 0 && verify.stdout.isEmpty && verify.stderr.isEmpty, "\(verify)")
        let wanted = root.appendingPathComponent("etc/systemd/system/timers.target.wants/hsmsync-audit.timer")
        #expect(
            (try? FileManager.default.destinationOfSymbolicLink(atPath: wanted.path))
                == "/usr/local/lib/systemd/system/hsmsync-audit.timer", "systemctl enable made the timer wanted")

        let typo = root.appendingPathComponent("etc/systemd/system/hsmsync-audit.service.d/zz-typo.conf")
        try "[Service]\nReadWritePath=/var/lib/hsmsync\n".write(to: typo, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: typo) }
        let caught = try Self.root(root, ["run", "systemd-analyze", "verify", units[0]])
        #expect(caught.stderr.contains("Unknown key 'ReadWritePath'"), "a typo in a drop-in is reported: \(caught)")
    }

    static func effectiveService(in root: URL) throws -> ServiceSettings {
        let dropIns = root.appendingPathComponent("etc/systemd/system/hsmsync-audit.service.d")
        let confs = try FileManager.default.contentsOfDirectory(atPath: dropIns.path).filter { $0.hasSuffix(".conf") }
            .sorted().map { dropIns.appendingPathComponent($0) }
        let unit = root.appendingPathComponent("usr/local/lib/systemd/system/hsmsync-audit.service")
        let settings = try ServiceSettings(files: [unit] + confs)
        for key in settings.values.keys {
            #expect(
                Self.emulatedKeys.contains(key) || Self.inertKeys.contains(key),
                "[Service] \(key)= is not emulated by this test: teach RunbookTests.startService about it")
        }
        #expect(settings.last("Group") == settings.last("User"), "Group= is emulated as the user's own group")
        return settings
    }

    /// The service's command, sandboxed as systemd would: parity (exit 0), the report, the metrics,
    /// an audit.parity entry in the signed log, the head mark and the token lock written; without
    /// the log directory in ReadWritePaths=, exit 3, which the unit does not count as success.
    static func expectServiceRuns(in root: URL) throws {
        let settings = try effectiveService(in: root)
        #expect(settings.words("ReadWritePaths").contains("/var/lib/softhsm/tokens"), "the SoftHSM2 drop-in applies")
        let entries = root.appendingPathComponent("var/lib/hsmsync/audit-log/entries.jsonl")
        let before = try String(contentsOf: entries, encoding: .utf8).components(separatedBy: "audit.parity").count

        let run = try Self.startService(settings, in: root)
        #expect(run.status == 0, "the fleet is in parity: \(run)")
        #expect(run.stdout.contains("PARITY"), "\(run)")
        let success = Set(["0"] + settings.words("SuccessExitStatus"))
        #expect(success.contains(String(run.status)), "the unit would fail: \(run)")

        let report = root.appendingPathComponent("var/lib/hsmsync/reports/parity-latest.md")
        #expect(try String(contentsOf: report, encoding: .utf8).contains("runbook-fleet"))
        let metrics = root.appendingPathComponent("var/lib/prometheus/node-exporter/hsmsync.prom")
        #expect(try String(contentsOf: metrics, encoding: .utf8).contains("hsmsync_audit_parity"))
        let after = try String(contentsOf: entries, encoding: .utf8).components(separatedBy: "audit.parity").count
        #expect(after == before + 1, "the run appended its audit.parity entry to the signed log")
        let marks = try FileManager.default.contentsOfDirectory(
            atPath: root.appendingPathComponent("var/lib/hsmsync/log-heads").path)
        #expect(marks.contains { $0.hasSuffix(".note") }, "\(marks)")
        let locks = try FileManager.default.contentsOfDirectory(
            atPath: root.appendingPathComponent("run/lock/hsmsync").path)
        #expect(locks.contains { $0.hasPrefix("token-") }, "the HSM-held log key's token was locked: \(locks)")
        for directory in ["var/lib/hsmsync/reports", "var/lib/prometheus/node-exporter"] {
            let left = try FileManager.default.contentsOfDirectory(
                atPath: root.appendingPathComponent(directory).path)
            #expect(!left.contains { $0.hasSuffix(".tmp") }, "a temporary file was left: \(left)")
        }

        // The old runbook's unit could not write the log: the audit's report is out, the run is not recorded.
        let withoutLog = settings.words("ReadWritePaths").filter { $0 != "/var/lib/hsmsync/audit-log" }
        let unrecorded = try Self.startService(settings, in: root, readWritePaths: withoutLog)
        #expect(unrecorded.status == 3, "\(unrecorded)")
        #expect(!success.contains(String(unrecorded.status)), "exit 3 must fail the unit")
        #expect(unrecorded.stderr.contains("/var/lib/hsmsync/audit-log"), "\(unrecorded)")
        #expect(!unrecorded.stdout.contains("PARITY"), "one verdict: not recorded is an error \(unrecorded)")
        let unrecordedMetrics = try String(contentsOf: metrics, encoding: .utf8)
        #expect(unrecordedMetrics.contains("hsmsync_audit_recorded{fleet=\"runbook-fleet\"} 0"), "\(unrecordedMetrics)")
    }

    /// The cron variant's job, run as cron runs it: the file's variables, /bin/sh, the named user, no sandbox.
    static func expectCronJobRuns(in root: URL) throws {
        let file = try String(
            contentsOf: root.appendingPathComponent("etc/cron.d/hsmsync"), encoding: .utf8)
        var environment: [String] = []
        var job: (user: String, command: String)?
        for line in file.split(separator: "\n").map(String.init) where !line.hasPrefix("#") {
            guard let first = line.first, first.isNumber || first == "*" else {
                if line.contains("=") { environment.append(line) }
                continue
            }
            // Five time fields, the user, then the command: the rest of the line.
            var rest = Substring(line)
            var fields: [String] = []
            while fields.count < 6 {
                rest = rest.drop { $0 == " " || $0 == "\t" }
                let word = rest.prefix { $0 != " " && $0 != "\t" }
                fields.append(String(word))
                rest = rest.dropFirst(word.count)
            }
            #expect(job == nil, "one job: \(file)")
            job = (fields[5], rest.trimmingCharacters(in: .whitespaces))
        }
        let (user, command) = try #require(job, "no job line in /etc/cron.d/hsmsync: \(file)")
        #expect(!command.contains("%"), "cron turns % into a newline: \(command)")
        let variables = environment.flatMap { ["--env", $0] }
        let run = try Self.root(root, ["service", "--user", user] + variables + ["--", "/bin/sh", "-c", command])
        #expect(run.status == 0, "\(run)")
        let output = try String(
            contentsOf: root.appendingPathComponent("var/lib/hsmsync/reports/parity-latest.txt"), encoding: .utf8)
        #expect(output.contains("PARITY"), "\(output)")
    }
}
