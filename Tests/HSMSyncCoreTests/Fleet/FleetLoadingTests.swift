import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SecureMemory
import SignedLog
import Testing

@Suite("Fleet file: strict parsing and validation")
struct FleetLoadingTests {
    static let valid = """
        name: demo-pki
        log:
          dir: audit-log
          key: file:keys/log.key
        hsms:
          - name: primary-1
            role: primary
            site: site-a
            module: /usr/lib/softhsm/libsofthsm2.so
            token: "pkcs11:token=primary"
            pin: env:HSMSYNC_PIN_PRIMARY
          - name: dr-1
            role: secondary
            site: site-b
            module: lib/vendor.so
            server: unix:path=/run/p11-kit/dr.sock
            token: "pkcs11:token=dr;serial=0123456789abcdef"
            pin: file:secrets/dr.pin
          - name: member-2
            role: member
            module: libsofthsm2.so
            initArgs: "configdir='sql:/etc/pki/nssdb' flags="
            token: "pkcs11:serial=42"
            pin: prompt
        keys:
          include: ["ca-*", "ocsp-*"]
          exclude: ["*-test"]
        transport:
          label: hsmsync-transport
        """

    @Test("A complete fleet file parses; relative paths resolve against the file")
    func parsesValid() throws {
        let fleet = try Fleet.parse(Self.valid, path: "/etc/hsmsync/fleet.yaml")
        #expect(fleet.name == "demo-pki")
        #expect(fleet.hsms.map(\.name) == ["primary-1", "dr-1", "member-2"])
        #expect(fleet.hsms.map(\.role) == [.primary, .secondary, .member])
        #expect(fleet.hsms[0].pin == .environment(name: "HSMSYNC_PIN_PRIMARY"))
        #expect(fleet.hsms[1].pin == .file(path: "/etc/hsmsync/secrets/dr.pin"))
        #expect(fleet.hsms[1].modulePath == "/etc/hsmsync/lib/vendor.so")
        #expect(fleet.hsms[1].serverAddress == "unix:path=/run/p11-kit/dr.sock")
        #expect(fleet.hsms[1].initArguments == nil)
        #expect(fleet.hsms[2].initArguments == "configdir='sql:/etc/pki/nssdb' flags=")
        #expect(fleet.hsms[1].token.serialNumber == "0123456789abcdef")
        #expect(fleet.hsms[2].modulePath == "libsofthsm2.so")
        #expect(fleet.hsms[2].pin == .prompt)
        #expect(fleet.hsms[2].site == "")
        #expect(
            fleet.log == LogSettings(directory: "/etc/hsmsync/audit-log", key: .file(path: "/etc/hsmsync/keys/log.key"))
        )
        #expect(fleet.transport.label == "hsmsync-transport")
        #expect(fleet.keys.contains(label: "ca-root"))
        #expect(!fleet.keys.contains(label: "ca-root-test"))
        #expect(!fleet.keys.contains(label: "tls-server"))
    }

    @Test("The fleet keeps the digest of the bytes it was read from, whatever becomes of the file")
    func fileDigest() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("fleet.yaml")
        let text =
            "name: digest\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: prompt}\n"
        // A byte order mark is in the file's bytes but not in the decoded text.
        let bytes = [0xEF, 0xBB, 0xBF] + Array(text.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fleet = try Fleet.load(from: path)
        try FileManager.default.removeItem(atPath: path)
        #expect(fleet.fileDigest == .sha256(of: bytes))
        #expect(try Fleet.parse(text, path: path).fileDigest == .sha256(of: text.utf8))
        #expect(Fleet(name: "in-code", hsms: [], path: path).fileDigest == nil)
    }

    @Test("Defaults: all keys in scope, the default transport label, no log")
    func defaults() throws {
        let fleet = try Fleet.parse(
            """
            name: small
            hsms:
              - {name: a, role: primary, module: /m.so, token: "pkcs11:token=a", pin: prompt}
            """, path: "/tmp/f.yaml")
        #expect(fleet.keys.contains(label: "anything"))
        #expect(fleet.keys.contains(label: ""))
        #expect(fleet.transport.label == TransportSettings.defaultLabel)
        #expect(fleet.log == nil)
    }

    @Test("hsmsync's own objects are infrastructure: the transport key, log anchors, a capability probe's leftover")
    func infrastructure() throws {
        let fleet = try Fleet.parse(
            """
            name: small
            hsms:
              - {name: a, role: primary, module: /m.so, token: "pkcs11:token=a", pin: prompt}
            """, path: "/tmp/f.yaml")
        #expect(fleet.isInfrastructure(label: TransportSettings.defaultLabel))
        #expect(fleet.isInfrastructure(label: "hsmsync-log-anchor fleet.example/log"))
        #expect(fleet.isInfrastructure(label: "hsmsync-capability-probe-1a2b3c4d"))
        #expect(!fleet.isInfrastructure(label: "hsmsync-capability"))
        #expect(!fleet.isInfrastructure(label: "ca-signing-2026"))
    }

    @Test(
        "Bad fleet files are refused with the YAML path and line",
        arguments: [
            ("name: x\nhsms: []\n", "hsms", "at least one HSM"),
            ("name: x\nhsm: []\n", "hsm", "unknown key \"hsm\""),
            (
                "hsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: prompt}\n", "name",
                "required key"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: prompt, colour: red}\n",
                "hsms[0].colour", "unknown key \"colour\""
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: boss, module: /m.so, token: \"pkcs11:token=a\", pin: prompt}\n",
                "hsms[0].role", "unknown role"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, initArgs: \"\", token: \"pkcs11:token=a\", pin: prompt}\n",
                "hsms[0].initArgs", "empty"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a?module-path=/nonexistent.so\", pin: prompt}\n",
                "hsms[0].token", "does not honour module-path="
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a;object=ca-root\", pin: prompt}\n",
                "hsms[0].token", "does not honour object="
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a;tokn=b\", pin: prompt}\n",
                "hsms[0].token", "does not recognise (tokn=)"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: \"1234\"}\n",
                "hsms[0].pin", "never goes in the fleet file"
            ),
            // A plain `yes`/`on` PIN is a YAML boolean: refused without the decoder's usual "quote it" echo.
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: on}\n",
                "hsms[0].pin", "never goes in the fleet file"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a;pin-value=1234\", pin: prompt}\n",
                "hsms[0].token", "carries a PIN"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"http://x\", pin: prompt}\n",
                "hsms[0].token", "invalid PKCS#11 URI"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: prompt}\n  - {name: a, role: member, module: /m.so, token: \"pkcs11:token=b\", pin: prompt}\n",
                "hsms[1]", "duplicate HSM name \"a\""
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: secondary, module: /m.so, token: \"pkcs11:token=a\", pin: prompt}\n",
                "hsms", "every HSM is a secondary"
            ),
            (
                "name: x\nhsms:\n  - {name: \"a b\", role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: prompt}\n",
                "hsms[0].name", "letters, digits"
            ),
            ("name: x\nname: y\nhsms: []\n", "", "duplicate key"),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: env:1BAD}\n",
                "hsms[0].pin", "not an environment variable name"
            ),
            (
                "name: x\nlog: {dir: d, key: plain}\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: prompt}\n",
                "log.key", "file:PATH"
            ),
            (
                "name: x\nlog: {dir: d, key: {hsm: nope, label: l}}\nhsms:\n  - {name: a, role: primary, module: /m.so, token: \"pkcs11:token=a\", pin: prompt}\n",
                "log.key.hsm", "no HSM named"
            ),
            ("name: [x\n", "", "line"),
            ("name: true\nhsms: []\n", "name", "expected a string"),
            ("name: x\nanchor: &a 1\nhsms: []\n", "anchor", "unknown key"),
        ])
    func refuses(yaml: String, path: String, message: String) {
        do {
            _ = try Fleet.parse(yaml, path: "fleet.yaml")
            Issue.record("accepted:\n\(yaml)")
        } catch {
            #expect(error.path == path, "\(error)")
            #expect(error.description.contains(message) || (message == "line" && error.line != nil), "\(error)")
            #expect(error.description.hasPrefix("fleet.yaml"), "\(error)")
            #expect(!error.description.contains("1234"), "a PIN-looking value was echoed: \(error)")
            #expect(!error.description.contains("\"on\""), "a PIN-looking value was echoed: \(error)")
        }
    }

    @Test("PIN sources: env and file preflight, file permissions, reading strips the newline")
    func pinSources() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("pin")
        _ = FileManager.default.createFile(
            atPath: path, contents: Data("s3cret\n".utf8), attributes: [.posixPermissions: 0o600])
        let source = PINSource.file(path: path)
        try source.preflight(hsm: "a")
        let pin = try source.read(hsm: "a")
        #expect(pin.count == 6)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: PINSourceError.fileTooOpen(path: path, hsm: "a", mode: "644")) {
            try source.preflight(hsm: "a")
        }
        #expect(throws: PINSourceError.self) { try PINSource.file(path: directory.path("missing")).preflight(hsm: "a") }
        #expect(throws: PINSourceError.environmentVariableMissing(name: "HSMSYNC_TEST_SURELY_UNSET", hsm: "b")) {
            try PINSource.environment(name: "HSMSYNC_TEST_SURELY_UNSET").preflight(hsm: "b")
        }
    }
}
