import Foundation
import GRDB
import UnderstudyModel

/// Re-encodes a tile patch with only some of its tiles. The vault stores patches as capture
/// encoded them and links no image codec, so whoever deletes steps lends it one.
public protocol TilePatchRecoder: Sendable {
    /// `data` (a strip one tile wide of `tileSize` square tiles, in `codec`) holding only the
    /// tiles at `indices`, in that order.
    func keeping(_ indices: [Int], of data: Data, codec: TileCodec, tileSize: Int) throws -> Data
}

/// Deleting part of a segment: the steps a contributor chose, with the frames only they used
/// and the tiles only those frames used, pixels included.
extension Vault {
    /// What ``forgetSteps(session:fromNs:toNs:recoder:waitForUpload:)`` deleted.
    public struct StepDeletion: Sendable, Equatable {
        /// The segments changed (and sealed again).
        public var segments: [String] = []
        public var events = 0
        public var frames = 0
        /// Patches re-encoded without the tiles that went, and patches deleted whole.
        public var patchesRewritten = 0
        public var patchesDeleted = 0
    }

    /// Deletes what a session recorded from `fromNs` to `toNs` (ns since it started, both
    /// included) from the sealed segments that hold it: the events, then every frame grabbed
    /// then that no remaining event shows, then every tile no remaining frame uses. A patch that
    /// keeps some of its tiles is re-encoded without the others, so no pixel of a deleted frame
    /// stays on disk (the rows go under `secure_delete`, and the log is emptied, as ``forget(_:waitForRecorder:)`` does).
    ///
    /// The events deleted leave one `gap` event (reason `deleted`) at the first deleted `seq`,
    /// and a hole in `seq` after it: later events keep their numbers, so nothing that names
    /// them changes. Each segment changed gets a new digest and seal. A segment still being
    /// recorded is refused as a whole, before anything changes, and one being uploaded is
    /// waited for (``UploadLock``, up to `waitForUpload`).
    public func forgetSteps(
        session: String, fromNs: UInt64, toNs: UInt64, recoder: some TilePatchRecoder, waitForUpload: Duration = UploadLock.deletionWait
    ) throws(VaultError) -> StepDeletion {
        guard fromNs <= toNs else { throw .badRange("the first step comes after the last") }
        let lock = try UploadLock(vault: self, wait: waitForUpload)
        defer { withExtendedLifetime(lock) {} }
        let touched = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, state FROM segment WHERE session_id = ? AND from_ns <= ? AND to_ns >= ? ORDER BY idx",
                arguments: [session, Int64(clamping: toNs), Int64(clamping: fromNs)])
        }
        if let open = touched.first(where: { ($0["state"] as String) != "sealed" }) {
            throw .recording(
                "segment \(open["id"] as String) is still being recorded: delete these steps once it is sealed (`understudy vault segments` says when)"
            )
        }
        var outcome = StepDeletion()
        for row in touched {
            let id: String = row["id"]
            let keys = try keys(of: id)
            var edit = try SegmentEdit.read(self, segment: id, session: session, keys: keys)
            let dropped = edit.drop(fromNs...toNs)
            guard dropped.events + dropped.frames > 0 else { continue }
            let files = try edit.rewritePatches(self, recoder: recoder)
            do {
                // One transaction: the segment is never seen cut but with its old seal.
                try write { db in
                    try edit.commit(db, vault: self)
                    let digest = try SegmentDigest.compute(db, segment: id, vault: self)
                    try db.execute(
                        sql: "UPDATE segment SET digest = ?, seal_code = ?, sealed_at = ? WHERE id = ?",
                        arguments: [digest, keys.sealCode(digest), RFC3339.string(from: clock.now()), id])
                }
            } catch {
                for file in files.written { unlink(file) }
                throw error
            }
            // What is left of the old patches goes once no row names it (else `recover()` removes it).
            for file in files.obsolete { try? FileManager.default.removeItem(atPath: file) }
            outcome.segments.append(id)
            outcome.events += dropped.events
            outcome.frames += dropped.frames
            outcome.patchesRewritten += files.rewritten
            outcome.patchesDeleted += files.deleted
        }
        if !outcome.segments.isEmpty { try truncateLog() }
        return outcome
    }
}

/// One segment's contents, opened, while steps are cut out of it.
private struct SegmentEdit {
    struct Patch {
        var name: Int
        var codec: TileCodec
        var tileSize: Int
        var tileCount: Int
        var bytes: Int
    }

    let segment: String
    let session: String
    let keys: SegmentKeys
    var nonces = NonceSequence()
    var events: [Event]
    /// Frame rows: their lookup key, sealed body and layout.
    var frames: [(key: Data, body: Data, manifest: FrameManifest)]
    var tiles: [(key: Data, patch: Int, idx: Int)]
    var patches: [Patch]
    var nextPatch: Int
    /// Patch rows and tile rows as they will be after the edit.
    var newPatches: [(name: Int, codec: String, tileSize: Int, tileCount: Int, bytes: Int)] = []

    static func read(_ vault: Vault, segment: String, session: String, keys: SegmentKeys) throws(VaultError) -> SegmentEdit {
        var damaged: String?
        var events: [Event] = []
        try vault.forEachEvent(session: session, segments: [segment], damaged: { damaged = $0 }) { _, event in events.append(event) }
        if let damaged { throw .damaged("\(damaged): run `understudy vault check`; nothing was deleted") }
        let (frameRows, tileRows, patchRows, nextPatch) = try vault.read { db in
            (
                try Row.fetchAll(db, sql: "SELECT key, body FROM frame WHERE segment_id = ?", arguments: [segment]),
                try Row.fetchAll(db, sql: "SELECT key, patch, idx FROM tile WHERE segment_id = ?", arguments: [segment]),
                try Row.fetchAll(db, sql: "SELECT name, codec, tile_size, tile_count, bytes FROM patch WHERE segment_id = ?", arguments: [segment]),
                try Int.fetchOne(db, sql: "SELECT patch_count FROM segment WHERE id = ?", arguments: [segment]) ?? 0
            )
        }
        var frames: [(key: Data, body: Data, manifest: FrameManifest)] = []
        for row in frameRows {
            let key: Data = row["key"]
            let body: Data = row["body"]
            guard let manifest = keys.openFrame(body, segment: segment, key: key)
            else { throw .damaged("a frame of segment \(segment) does not decrypt: run `understudy vault check`; nothing was deleted") }
            frames.append((key, body, manifest))
        }
        var patches: [Patch] = []
        for row in patchRows {
            guard let codec = TileCodec(rawValue: row["codec"]) else { throw .damaged("a patch of segment \(segment) names no known codec") }
            patches.append(Patch(name: row["name"], codec: codec, tileSize: row["tile_size"], tileCount: row["tile_count"], bytes: row["bytes"]))
        }
        return SegmentEdit(
            segment: segment, session: session, keys: keys, events: events, frames: frames,
            tiles: tileRows.map { ($0["key"], $0["patch"], $0["idx"]) }, patches: patches,
            nextPatch: max(nextPatch, (patches.map(\.name).max() ?? -1) + 1))
    }

    /// Drops the events in `range` (and those between them in `seq`, so one run goes), leaving a
    /// `gap` event in their place; then the frames grabbed in `range` that no event left shows,
    /// and the tiles no frame left uses.
    mutating func drop(_ range: ClosedRange<UInt64>) -> (events: Int, frames: Int) {
        var droppedEvents = 0
        let inRange = events.indices.filter { range.contains(events[$0].tNs) }
        if let first = inRange.first, let last = inRange.last {
            let run = events[first...last]
            // A gap already left by an earlier deletion widens to cover both.
            var from = run.map(\.tNs).min()!
            var to = run.map(\.tNs).max()!
            for case .gap(.deleted, let gapFrom, let gapTo) in run.map(\.body) { (from, to) = (min(from, gapFrom), max(to, gapTo)) }
            let gap = Event(seq: run.first!.seq, tNs: run.first!.tNs, wall: run.first!.wall, body: .gap(reason: .deleted, fromNs: from, toNs: to))
            droppedEvents = run.count { !Self.isDeletionGap($0) }
            events.replaceSubrange(first...last, with: [gap])
        }
        let shown = Set(events.compactMap(Self.frameShown))
        let before = frames.count
        frames.removeAll { range.contains($0.manifest.grabbedNs) && !shown.contains($0.manifest.hash) }
        let used = Set(frames.flatMap(\.manifest.tiles).map { keys.lookupKey($0.bytes) })
        tiles.removeAll { !used.contains($0.key) }
        return (droppedEvents, before - frames.count)
    }

    static func isDeletionGap(_ event: Event) -> Bool {
        if case .gap(.deleted, _, _) = event.body { true } else { false }
    }

    static func frameShown(_ event: Event) -> String? {
        switch event.body {
        case .frame(let hash, _, _, _): hash
        case .accessibilitySnapshot(let hash, _, _): hash
        default: nil
        }
    }

    /// Writes the patches that keep only some of their tiles anew (under new names, so the old
    /// files stay valid until the rows move). Returns the files to delete once committed.
    mutating func rewritePatches(_ vault: Vault, recoder: some TilePatchRecoder) throws(VaultError) -> (
        obsolete: [String], written: [String], rewritten: Int, deleted: Int
    ) {
        var obsolete: [String] = []
        var (rewritten, deleted) = (0, 0)
        var written: [String] = []
        do {
            for patch in patches {
                let kept = tiles.indices.filter { tiles[$0].patch == patch.name }.sorted { tiles[$0].idx < tiles[$1].idx }
                let oldURL = vault.patchURL(segment: segment, name: patch.name)
                if kept.count == patch.tileCount && kept.map({ tiles[$0].idx }) == Array(0..<patch.tileCount) {
                    newPatches.append((patch.name, patch.codec.rawValue, patch.tileSize, patch.tileCount, patch.bytes))
                    continue
                }
                obsolete.append(oldURL.path)
                guard !kept.isEmpty else {
                    deleted += 1
                    continue
                }
                let plain = try keys.open(try Data(contentsOf: oldURL), context: OpenSegment.patchContext(segment: segment, name: patch.name))
                let recoded = try recoder.keeping(kept.map { tiles[$0].idx }, of: plain, codec: patch.codec, tileSize: patch.tileSize)
                let name = nextPatch
                nextPatch += 1
                let sealed = try keys.seal(recoded, context: OpenSegment.patchContext(segment: segment, name: name), nonces: &nonces)
                let path = vault.patchURL(segment: segment, name: name).path
                try DurableFile.replace(path, contents: sealed, syncingFolder: false)
                written.append(path)
                newPatches.append((name, patch.codec.rawValue, patch.tileSize, kept.count, sealed.count))
                for (position, index) in kept.enumerated() { tiles[index] = (tiles[index].key, name, position) }
                rewritten += 1
            }
            if !written.isEmpty { try DurableFile.syncFolder(vault.segmentDirectory(segment).path) }
        } catch {
            for path in written { unlink(path) }
            throw .writeFailed("segment \(segment): a tile patch could not be written anew (\(error)); nothing was deleted")
        }
        return (obsolete, written, rewritten, deleted)
    }

    /// Replaces the segment's events, frames, tiles and patch rows with what is left, and its
    /// counts; the caller then computes the digest and seal over them in the same transaction.
    mutating func commit(_ db: Database, vault: Vault) throws {
        try db.execute(sql: "DELETE FROM event_chunk WHERE segment_id = ?", arguments: [segment])
        var places = SegmentPlaces()
        var kinds: [String: Int] = [:]
        var chunkBytes = 0
        for run in Self.runs(of: events) {
            let (first, last) = (run.first!.seq, run.last!.seq)
            let lines = run.map { $0.json.serialized + "\n" }.joined()
            let payload = try keys.sealEvents(lines, session: session, first: first, last: last, nonces: &nonces)
            try db.execute(
                sql: "INSERT INTO event_chunk (session_id, first_seq, last_seq, segment_id, payload) VALUES (?, ?, ?, ?, ?)",
                arguments: [session, first, last, segment, payload])
            chunkBytes += payload.count
            for event in run {
                places.note(event.body)
                kinds[event.kind, default: 0] += 1
            }
        }
        let keptFrames = Set(frames.map(\.key))
        for row in try Data.fetchAll(db, sql: "SELECT key FROM frame WHERE segment_id = ?", arguments: [segment]) where !keptFrames.contains(row) {
            try db.execute(sql: "DELETE FROM frame WHERE segment_id = ? AND key = ?", arguments: [segment, row])
        }
        try db.execute(sql: "DELETE FROM tile WHERE segment_id = ?", arguments: [segment])
        for tile in tiles {
            try db.execute(
                sql: "INSERT INTO tile (segment_id, key, patch, idx) VALUES (?, ?, ?, ?)", arguments: [segment, tile.key, tile.patch, tile.idx])
        }
        try db.execute(sql: "DELETE FROM patch WHERE segment_id = ?", arguments: [segment])
        for p in newPatches {
            try db.execute(
                sql: "INSERT INTO patch (segment_id, name, codec, tile_size, tile_count, bytes) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [segment, p.name, p.codec, p.tileSize, p.tileCount, p.bytes])
        }
        let bytes = Int64(chunkBytes + frames.reduce(0) { $0 + $1.body.count } + newPatches.reduce(0) { $0 + $1.bytes })
        let sealedPlaces = try keys.seal(JSONEncoder().encode(places), context: SegmentPlaces.context(segment: segment), nonces: &nonces)
        let kindsJSON = OpenSegment.kindsJSON(kinds)
        try db.execute(
            sql: "UPDATE segment SET event_count = ?, frame_count = ?, patch_count = ?, bytes = ?, kinds = ?, places = ? WHERE id = ?",
            arguments: [events.count, frames.count, nextPatch, bytes, kindsJSON, sealedPlaces, segment])
    }

    /// The events in runs of consecutive `seq`: each is sealed as one chunk.
    static func runs(of events: [Event]) -> [ArraySlice<Event>] {
        var runs: [ArraySlice<Event>] = []
        var start = events.startIndex
        for index in events.indices.dropFirst() where events[index].seq != events[index - 1].seq + 1 {
            runs.append(events[start..<index])
            start = index
        }
        if start < events.endIndex { runs.append(events[start...]) }
        return runs
    }
}
