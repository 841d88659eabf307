public import HSMSyncModel
import SignedLog

/// What a step does, with every parameter spelled out in the ceremony file.
public enum CeremonyAction: Sendable {
    /// Reach HSMs and check token serials and offered mechanisms.
    case fleetCheck(hsms: [ExpectedToken], mechanisms: [String])
    /// A person answers `yes` to a question read aloud.
    case confirm(prompt: String)
    /// A new transport key, split M of N among the custodians, installed in one HSM.
    case transportCreate(hsm: String, shares: Int, threshold: Int, delivery: ShareDelivery)
    /// The transport key rebuilt from custodians' shares and installed in one HSM.
    case transportInstall(hsm: String, custodians: [String], kcv: KCVSource)
    /// A transport key agreed between two online HSMs by ECDH.
    case transportAgree(from: String, to: String)
    /// Every named HSM holds the same, policy-conforming transport key.
    case transportVerify(hsms: [String])
    /// A key generated inside one HSM.
    case generateKey(KeyGenerationSpec)
    /// Keys in scope copied from one HSM to others, wrapped under the transport key.
    case replicate(from: String, to: [String], include: [String], exclude: [String])
    /// A parity audit of the whole fleet.
    case audit(expect: AuditExpectation)
    /// A backup bundle of one HSM's keys.
    case backupCreate(hsm: String, out: String)
    /// A backup bundle checked without an HSM.
    case backupVerify(bundle: String)
    /// A backup bundle restored into one HSM.
    /// `allowResurrectBy`: the two people who may confirm, at the step, that keys the live source
    /// destroyed since the bundle was made are brought back (empty: never).
    case backupRestore(bundle: String, hsm: String, allowResurrectBy: [String])
    /// A remark for the record.
    case note(text: String)
    /// Witnesses sign off what they saw, typed or by cosigning the log's checkpoint.
    case witnessSignOff(witnesses: [String], statement: String, method: SignOffMethod)
    /// One key destroyed, after two different people typed its label.
    case destroyKey(hsm: String, label: String, id: [UInt8], keyClass: DestroyedKeyClass, confirmedBy: [String])
    /// The end of the ceremony.
    case close(statement: String)

    /// The action's name in the file.
    public var name: String {
        switch self {
        case .fleetCheck: return "fleet-check"
        case .confirm: return "confirm"
        case .transportCreate: return "transport-create"
        case .transportInstall: return "transport-install"
        case .transportAgree: return "transport-agree"
        case .transportVerify: return "transport-verify"
        case .generateKey: return "generate-key"
        case .replicate: return "replicate"
        case .audit: return "audit"
        case .backupCreate: return "backup-create"
        case .backupVerify: return "backup-verify"
        case .backupRestore: return "backup-restore"
        case .note: return "note"
        case .witnessSignOff: return "witness-sign-off"
        case .destroyKey: return "destroy-key"
        case .close: return "close"
        }
    }

    /// Every action name the format knows.
    public static let names = [
        "fleet-check", "confirm", "transport-create", "transport-install", "transport-agree", "transport-verify",
        "generate-key", "replicate", "audit", "backup-create", "backup-verify", "backup-restore", "note",
        "witness-sign-off", "destroy-key", "close",
    ]

    /// Why this build cannot execute the action, or `nil` when it can (every action now; kept so a
    /// script using an action a future format adds is refused at validation rather than half-run).
    public var unavailableReason: String? { nil }

    /// The HSMs the step works on (for validation and the plan).
    public var hsms: [String] {
        switch self {
        case .fleetCheck(let hsms, _): return hsms.map(\.hsm)
        case .transportCreate(let hsm, _, _, _), .transportInstall(let hsm, _, _), .backupCreate(let hsm, _),
            .backupRestore(_, let hsm, _), .destroyKey(let hsm, _, _, _, _):
            return [hsm]
        case .generateKey(let spec): return [spec.hsm]
        case .transportAgree(let from, let to): return [from, to]
        case .transportVerify(let hsms): return hsms
        case .replicate(let from, let to, _, _): return [from] + to
        case .confirm, .audit, .backupVerify, .note, .witnessSignOff, .close: return []
        }
    }
}

/// A token a fleet check expects: its HSM, and its serial number or `any` (not compared).
public struct ExpectedToken: Sendable, Hashable {
    public let hsm: String
    /// `nil` for `any`.
    public let serial: String?
}

/// Where the shares of a new transport key go.
public enum ShareDelivery: String, Sendable, Hashable {
    /// Shown on the terminal, one custodian at a time, the screen cleared in between (with
    /// `--inputs`: written as one share file per custodian into the inputs directory).
    case screen
}

/// Where a transport install finds the key check value the rebuilt key must have.
public enum KCVSource: Sendable, Hashable {
    /// The KCV a `transport-create` step of this ceremony recorded.
    case step(String)
    /// The KCV written in the file (10 hex digits).
    case value(String)
    /// Typed by the master of ceremonies from the paper record.
    case prompt
}

/// What an audit step requires.
public enum AuditExpectation: String, Sendable, Hashable {
    /// The step fails unless the fleet is in parity.
    case parity
    /// The result is recorded whatever it is.
    case record
}

/// How witnesses sign off.
public enum SignOffMethod: String, Sendable, Hashable {
    /// Each witness types their name; recorded under their name.
    case typed
    /// Each witness cosigns the latest checkpoint with their tlog-cosignature key.
    case cosignature
}

/// What a destroy step removes.
public enum DestroyedKeyClass: String, Sendable, Hashable {
    case secretKey = "secret-key"
    case privateKey = "private-key"
    case publicKey = "public-key"
    /// The private key and its public key (same label and id).
    case keyPair = "key-pair"
}
