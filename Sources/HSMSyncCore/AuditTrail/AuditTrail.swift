import Foundation
public import HSMSyncModel
import SecureMemory
public import SignedLog

/// Where commands that change HSMs (and parity audits) record what they did: the fleet's signed
/// audit log when the fleet file has a `log:` section, nothing otherwise.
///
/// Entries hold key identities, fingerprints, check values, op-ids and CKR codes — never secrets.
/// Ceremony steps and single-shot commands checkpoint explicitly; bulk work opens the trail with
/// the bulk checkpoint policy (every 1,000 entries or 1 s).
public actor AuditTrail {
    private var log: AuditLog?
    /// Who is acting (recorded in every entry).
    public nonisolated let actor: AuditActor
    /// Whether entries are being recorded.
    public nonisolated let isEnabled: Bool
    /// The log-key HSM's worker when the trail opened it (and so closes it).
    private let ownedKeyWorker: (any HSMEndpoint)?
    /// Checked before every append and checkpoint (``fence(with:)``).
    private var fence: (any WriteFence)?

    init(log: AuditLog?, actor: AuditActor, ownedKeyWorker: (any HSMEndpoint)?) {
        self.log = log
        self.actor = actor
        self.isEnabled = log != nil
        self.ownedKeyWorker = ownedKeyWorker
    }

    /// A trail that records nothing (a fleet without `log:`).
    public static func disabled(actor: AuditActor = .operatorOnThisHost) -> AuditTrail {
        AuditTrail(log: nil, actor: actor, ownedKeyWorker: nil)
    }

    /// Opens the fleet's audit log, or a disabled trail when the fleet has none.
    ///
    /// - Parameter workers: open workers of the fleet's HSMs (a ceremony's). When the log key is
    ///   held by one of them, the trail signs through it instead of connecting and logging in
    ///   again (which would ask a `prompt` PIN twice); the trail never closes it.
    /// - Throws: ``AuditTrailError`` when the log is configured but missing or its key cannot be
    ///   used; ``AuditLogError`` when the log is damaged or locked. Nothing is recorded then, and a
    ///   mutating command must not go on.
    public static func open(
        for fleet: Fleet, actor: AuditActor = .operatorOnThisHost, connector: any HSMConnector,
        checkpointPolicy: AuditLog.CheckpointPolicy = .manual, workers: [String: any HSMEndpoint] = [:]
    ) async throws -> AuditTrail {
        guard let settings = fleet.log else { return disabled(actor: actor) }
        guard FileManager.default.fileExists(atPath: settings.directory + "/entries.jsonl") else {
            throw AuditTrailError.logMissing(directory: settings.directory)
        }
        let origin = try LogVerifier.readVerifierKey(at: settings.directory + "/log.vkey").name
        let (signer, anchor, worker) = try await signer(
            for: settings.key, fleet: fleet, origin: origin, connector: connector, workers: workers)
        let configuration = AuditLog.Configuration(
            checkpointPolicy: checkpointPolicy, anchorStore: anchor, headMarks: .host,
            toolVersion: "hsmsync \(HSMSyncVersion.current)")
        let log = try await AuditLog.open(
            directory: settings.directory, signer: signer, actor: actor, configuration: configuration)
        return AuditTrail(log: log, actor: actor, ownedKeyWorker: worker)
    }

    /// The signer for a fleet's log key: a key file, or a key pair in one of the fleet's HSMs (with
    /// the anchor kept beside it).
    ///
    /// - Returns: the signer, the anchor store, and the worker it connected (`nil` when it used one
    ///   of `workers`, or a key file): the caller closes that one.
    public static func signer(
        for key: LogSettings.LogKey, fleet: Fleet, origin: String, connector: any HSMConnector,
        workers: [String: any HSMEndpoint] = [:]
    ) async throws -> (signer: any AuditSigner, anchor: (any CheckpointAnchorStore)?, worker: (any HSMEndpoint)?) {
        switch key {
        case .file(let path):
            return (try FileKeySigner(path: path), nil, nil)
        case .hsm(let name, let label):
            if let endpoint = workers[name] {
                let signer = try await HSMAuditSigner(endpoint: endpoint, label: label, origin: origin)
                return (signer, HSMAnchorStore(endpoint: endpoint, origin: origin), nil)
            }
            guard let hsm = fleet.hsm(named: name) else {
                throw AuditTrailError.logKeyNotFound(hsm: name, label: label)
            }
            let connection = await connector.connect([hsm], readWrite: true)[0]
            guard let endpoint = connection.endpoint else {
                throw AuditTrailError.logHSMUnavailable(connection.error!)
            }
            let signer = try await HSMAuditSigner(endpoint: endpoint, label: label, origin: origin)
            return (signer, HSMAnchorStore(endpoint: endpoint, origin: origin), endpoint)
        }
    }

    /// The head mark the log recorded on first use on this host, if it did.
    public var headMarkAdoption: LogHeadAdoption? {
        get async { await log?.headMarkAdoption }
    }

    /// From now on, every append and checkpoint first passes `fence`: a deposed leader's entries
    /// never reach the log.
    public func fence(with fence: any WriteFence) {
        self.fence = fence
    }

    /// Appends an entry (durable when this returns); `nil` when the trail is disabled.
    @discardableResult
    public func record(_ draft: AuditEntryDraft) async throws -> AppendReceipt? {
        guard let log else { return nil }
        try await fence?.check()
        return try await log.append(draft)
    }

    /// Appends several entries with one `fsync` (bulk work: each step still has its own entry).
    @discardableResult
    public func record(contentsOf drafts: [AuditEntryDraft]) async throws -> [AppendReceipt] {
        guard let log, !drafts.isEmpty else { return [] }
        try await fence?.check()
        return try await log.append(contentsOf: drafts)
    }

    /// Appends an entry for `action` by the trail's actor.
    @discardableResult
    public func record(
        _ action: AuditAction, ceremony: String? = nil, step: String? = nil, inputs: [String: AuditDigest] = [:],
        outputs: [String: JSONValue] = [:], result: AuditResult = .ok, detail: [String: JSONValue] = [:]
    ) async throws -> AppendReceipt? {
        try await record(
            AuditEntryDraft(
                action: action, actor: actor, ceremony: ceremony, step: step, inputs: inputs, outputs: outputs,
                result: result, detail: detail))
    }

    /// Signs a checkpoint over everything recorded so far; `nil` when disabled.
    @discardableResult
    public func checkpoint() async throws -> CheckpointReceipt? {
        guard let log else { return nil }
        try await fence?.check()
        return try await log.checkpoint()
    }

    /// Checkpoints what is unsigned and releases the log.
    public func close() async throws {
        guard let log else { return }
        if await log.size > log.signedSize {
            _ = try await log.checkpoint()
        }
        try await log.close()
        self.log = nil
        await ownedKeyWorker?.close()
    }
}

extension AuditActor {
    /// The operating-system user on this host, as hsmsync records an operator who did not say more.
    public static var operatorOnThisHost: AuditActor {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName
        return AuditActor(id: "\(user)@\(ProcessInfo.processInfo.hostName)", role: "operator", auth: "os-user")
    }
}

/// The tool's version, recorded in logs and reports.
public enum HSMSyncVersion {
    public static let current = "0.1.0"
}
