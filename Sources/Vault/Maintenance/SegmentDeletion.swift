import Foundation
import GRDB
import UnderstudyModel

/// Sealing, forgetting and retention: what changes segments after they are written.
extension Vault {
    /// Seals a segment: records the digest of its stored content and the seal code over it.
    func seal(segment: String, keys: SegmentKeys) throws(VaultError) {
        try write { db in
            let digest: Data
            do {
                digest = try SegmentDigest.compute(db, segment: segment, vault: self)
            } catch let missing as SegmentDigest.MissingFile {
                throw VaultError.damaged("segment \(segment): patch file \(missing.path) is missing")
            }
            try db.execute(
                sql: "UPDATE segment SET state = 'sealed', digest = ?, seal_code = ?, sealed_at = ? WHERE id = ?",
                arguments: [digest, keys.sealCode(digest), RFC3339.string(from: clock.now()), segment])
        }
    }

    /// What to forget.
    public enum ForgetSelection: Sendable, Equatable {
        case segments([String])
        /// Every segment that has anything between the two times.
        case range(from: Date, to: Date)
        case all
    }

    /// What ``forget(_:waitForRecorder:)`` did.
    public struct ForgetOutcome: Sendable, Equatable {
        public var forgotten: [SegmentInfo]
        /// Segments a running recorder was asked to drop but did not within the wait.
        public var beingRecorded: [SegmentInfo]
    }

    /// Deletes segments for good: their rows, wrapped keys and patch files. Deleted rows are
    /// overwritten with zeros (`secure_delete`) and the write-ahead log is checkpointed and
    /// truncated, so neither the keys nor the ciphertext stay behind in the database files.
    ///
    /// The segment a running recorder (or a ``VaultWriter`` in this process) is writing is
    /// not deleted from under it: the writer is asked (through the database) to drop it, with
    /// whatever it still buffers up to the end of the selection, and does so at its next
    /// flush; this waits up to `wait` for that.
    ///
    /// Nor is a segment deleted while it is being uploaded: this waits for the ``UploadLock``
    /// (up to `waitForUpload`), unless the uploader is the one deleting and passes it.
    public func forget(
        _ selection: ForgetSelection, waitForRecorder wait: Duration = .seconds(5), waitForUpload: Duration = UploadLock.deletionWait,
        holding upload: UploadLock? = nil
    ) throws(VaultError) -> ForgetOutcome {
        let lock = if let upload { upload } else { try UploadLock(vault: self, wait: waitForUpload) }
        defer { withExtendedLifetime(lock) {} }
        let all = try segments()
        let chosen: [SegmentInfo]
        switch selection {
        case .all:
            chosen = all
        case .range(let from, let to):
            guard from <= to else { throw .badRange("--from (\(RFC3339.string(from: from))) is after --to (\(RFC3339.string(from: to)))") }
            chosen = all.filter { $0.to >= from && $0.from <= to }
        case .segments(let ids):
            for id in ids where !all.contains(where: { $0.id == id }) {
                throw .badRange("there is no segment \(id) in this vault (understudy vault segments lists them)")
            }
            chosen = all.filter { ids.contains($0.id) }
        }
        let writing = sessionsBeingWritten()
        let busy = chosen.filter { !$0.sealed && writing.contains($0.session) }
        let doomed = chosen.filter { !busy.contains($0) }
        try destroy(doomed.map(\.id), keeping: writing)
        guard !busy.isEmpty else { return ForgetOutcome(forgotten: doomed, beingRecorded: []) }
        let upTo: Date = if case .range(_, let to) = selection { to } else { clock.now() }
        let left = try askRecorderToForget(busy, upTo: upTo, wait: wait)
        return ForgetOutcome(forgotten: doomed + busy.filter { !left.contains($0) }, beingRecorded: left)
    }

    /// Files forget requests for segments a recorder is writing and waits for them to go.
    /// Returns the segments still there after `wait`.
    private func askRecorderToForget(_ segments: [SegmentInfo], upTo: Date, wait: Duration) throws(VaultError) -> [SegmentInfo] {
        try write { db in
            for segment in segments {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO forget_request (segment_id, up_to_ms) VALUES (?, ?)",
                    arguments: [segment.id, Int64((upTo.timeIntervalSince1970 * 1000).rounded())])
            }
        }
        let deadline = ContinuousClock.now + wait
        var left = segments
        while true {
            let present = try Set(self.segments().map(\.id))
            left = left.filter { present.contains($0.id) }
            if left.isEmpty || ContinuousClock.now >= deadline { break }
            usleep(50_000)
        }
        try write { db in
            for segment in left { try db.execute(sql: "DELETE FROM forget_request WHERE segment_id = ?", arguments: [segment.id]) }
        }
        return left
    }

    /// The end (wall ms) of a pending forget request for `segment`, if the owner filed one.
    func forgetRequest(for segment: String) throws(VaultError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT up_to_ms FROM forget_request WHERE segment_id = ?", arguments: [segment]) }
    }

    /// Forgets sealed segments that ended more than the retention period before the
    /// vault's ``clock`` says it is now. Returns them.
    @discardableResult
    public func prune(settings: VaultSettings? = nil) throws(VaultError) -> [SegmentInfo] {
        let retention: VaultSettings
        if let settings { retention = settings } else { retention = try self.settings() }
        let cutoff = clock.now().addingTimeInterval(-Double(retention.retentionSeconds))
        let old = try segments().filter { $0.sealed && $0.to < cutoff }
        guard !old.isEmpty else { return [] }
        // An upload under way: what it sends goes anyway, and the rest waits for the next prune.
        guard let lock = try? UploadLock(vault: self, wait: .zero) else { return [] }
        defer { withExtendedLifetime(lock) {} }
        try destroy(old.map(\.id))
        return old
    }

    /// The sessions being written: the one a recorder holding the lock records, and those of
    /// writers open in this process (``SessionsBeingWritten``).
    func sessionsBeingWritten() -> Set<String> {
        var writing = SessionsBeingWritten.sessions(in: self)
        if let recording = RecorderLock.running(in: self)?.session { writing.insert(recording) }
        return writing
    }

    /// Deletes segments, then every session left with none, except the sessions being
    /// written: the one a recorder holding the lock records, and those of writers open in
    /// this process (``SessionsBeingWritten``), whatever lock their callers hold.
    func destroy(_ ids: [String], keeping writing: Set<String>? = nil) throws(VaultError) {
        guard !ids.isEmpty else { return }
        let kept = writing ?? sessionsBeingWritten()
        try write { db in
            for id in ids {
                try db.execute(sql: "DELETE FROM segment WHERE id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM forget_request WHERE segment_id = ?", arguments: [id])
            }
            // A session with nothing left says nothing worth keeping (unless it is being recorded).
            let empty = try String.fetchAll(db, sql: "SELECT id FROM session WHERE id NOT IN (SELECT session_id FROM segment)")
            for id in empty where !kept.contains(id) {
                try db.execute(sql: "DELETE FROM session WHERE id = ?", arguments: [id])
            }
        }
        for id in ids { try? FileManager.default.removeItem(at: segmentDirectory(id)) }
        try truncateLog()
    }

    /// Copies the write-ahead log into the database and empties it, so pages that held
    /// deleted rows survive nowhere. Retries while a reader holds an old snapshot.
    func truncateLog() throws(VaultError) {
        var lastError: Error?
        for attempt in 0..<20 {
            do {
                let result = try database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
                if result.walFrameCount == result.checkpointedFrameCount { return }
            } catch {
                lastError = error
            }
            usleep(useconds_t(50_000 * (attempt + 1) / 4))
        }
        throw .writeFailed(
            "the database log could not be emptied (a reader kept it busy): \(lastError.map { "\($0)" } ?? "busy"); run the command again")
    }
}
