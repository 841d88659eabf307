public import HSMSyncModel

extension AuditLog {
    /// Records an entry durably.
    /// - Returns: its `seq` and leaf hash, once written and `fdatasync`ed.
    /// - Throws: ``AuditLogError`` (invalid draft, entry too long, no space, closed, failed) or the
    ///   ``LogIOError`` that made the log fail (it then refuses writes until reopened).
    @discardableResult
    public func append(_ draft: AuditEntryDraft) async throws -> AppendReceipt {
        try await append(contentsOf: [draft])[0]
    }

    /// Records several entries with one `write` and one `fdatasync` (group commit).
    @discardableResult
    public func append(contentsOf drafts: [AuditEntryDraft]) async throws -> [AppendReceipt] {
        try checkWritable()
        guard !drafts.isEmpty else { return [] }
        var bytes: [UInt8] = []
        var receipts: [AppendReceipt] = []
        var leaves: [MerkleHash] = []
        receipts.reserveCapacity(drafts.count)
        var prev = lastLeaf
        let time = EntryTime(configuration.clock())
        for (offset, draft) in drafts.enumerated() {
            try Self.validate(draft)
            let seq = range.size + UInt64(offset)
            let line = EntryEncoder.line(for: draft, origin: origin, seq: seq, prev: prev, time: time)
            guard line.count <= StrictJSONParser.maximumLineLength else {
                throw AuditLogError.entryTooLong(bytes: line.count)
            }
            prev = TreeHasher.leafHash(line)
            leaves.append(prev)
            receipts.append(AppendReceipt(seq: seq, leafHash: prev))
            bytes.append(contentsOf: line)
            bytes.append(0x0A)
        }
        try checkSpace(for: bytes.count)
        try writeDurably(bytes)
        for leaf in leaves { range.append(leaf) }
        lastLeaf = prev
        endOffset += Int64(bytes.count)
        try await checkpointIfDue()
        return receipts
    }

    static func validate(_ draft: AuditEntryDraft) throws {
        let action = draft.action.rawValue
        guard !action.isEmpty, action.utf8.count <= 64,
            action.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else {
            throw AuditLogError.invalidDraft("action \"\(action)\" must be 1–64 printable ASCII characters")
        }
        guard !draft.actor.id.isEmpty else { throw AuditLogError.invalidDraft("the actor has no id") }
    }

    private func checkSpace(for count: Int) throws {
        let available = try PosixFile.availableBytes(directory.path)
        let needed = UInt64(count) + configuration.freeSpaceReserve
        guard available >= needed else {
            throw AuditLogError.insufficientSpace(path: directory.path, available: available, needed: needed)
        }
    }

    /// One `write` (two around a failpoint in crash tests) and `fdatasync`; any failure is fatal.
    private func writeDurably(_ bytes: [UInt8]) throws {
        do {
            if let fault = configuration.faultInjection {
                let half = bytes.count / 2
                try PosixFile.writeAll(entriesFD, Array(bytes[..<half]), path: directory.entries)
                fault(.afterPartialWrite)
                try PosixFile.writeAll(entriesFD, Array(bytes[half...]), path: directory.entries)
                fault(.beforeDataSync)
            } else {
                try PosixFile.writeAll(entriesFD, bytes, path: directory.entries)
            }
            try PosixFile.dataSync(entriesFD, path: directory.entries)
        } catch {
            fail(error)
            throw error
        }
    }
}
