import Foundation
import GRDB
import UnderstudyModel

/// Writes one session into a vault: sealed, in segments, in batches off the capture path,
/// within the vault's quota.
///
/// Capture only appends to memory; ``flush()`` (on the recorder's timer) numbers the events
/// (`seq` from 0 without gaps), seals them, writes patch files (synced before the rows that
/// name them) and commits the rows in one transaction. A segment is sealed once it spans
/// `segmentSeconds` of capture or holds `segmentBytes`.
///
/// When a write would break the quota or the free-disk floor, or the disk is full, the
/// writer stops storing: what arrives is dropped and accounted for, and once space returns a
/// `gap` event with reason `quota` covers exactly the time lost. Nothing is dropped silently.
public actor VaultWriter {
    /// Whether the writer is storing, and if not, why and since when.
    public enum StorageState: Sendable, Equatable {
        case storing
        case stopped(StorageRefusal, since: Date)
    }

    private enum Item {
        case event(CapturedEvent)
        case frame(FrameManifest)
        case patch(TilePatch)

        /// When it was captured; a patch carries no time of its own.
        var tNs: UInt64? {
            switch self {
            case .event(let event): event.tNs
            case .frame(let frame): frame.grabbedNs
            case .patch: nil
            }
        }
    }

    /// Time lost while storing is stopped.
    private struct Gap {
        var refusal: StorageRefusal
        var since: Date
        var fromNs: UInt64
        var toNs: UInt64
    }

    public let vault: Vault
    public let session: Session
    private var settings: VaultSettings
    private var budget: StorageBudget
    private var pending: [Item] = []
    private var pendingBytes: Int64 = 0
    private var nextSeq: Int64 = 0
    private var nextSegmentIndex = 0
    private var current: OpenSegment?
    private var previous: OpenSegment?
    private var gap: Gap?
    private var latestNs: UInt64 = 0
    private var keyframeWanted = false
    private var nonces = NonceSequence()
    /// Events up to here were forgotten while recording; any that arrive late are dropped too.
    private var forgottenUpToNs: UInt64?
    private var flushes = 0
    /// Events committed so far.
    public private(set) var written = 0
    /// Frames not stored because a tile they use was lost in a gap (until the next keyframe).
    public private(set) var framesDropped = 0
    /// Segments sealed so far.
    public private(set) var sealed = 0
    /// Bytes of sealed events, frame layouts and patch files written so far.
    public private(set) var bytesWritten: Int64 = 0
    /// Segments dropped while being written, at the owner's request.
    public private(set) var forgotten = 0

    public init(vault: Vault, session: Session) async throws(VaultError) {
        self.vault = vault
        self.session = session
        settings = try vault.settings()
        budget = StorageBudget(settings: settings, vault: vault)
        _ = try vault.requireWritable()
        // Registered before the session row exists, so no prune in this process can delete it between.
        SessionsBeingWritten.begin(session.id, in: vault)
        let screen = String(decoding: (try? JSONEncoder().encode(session.screen)) ?? Data(), as: UTF8.self)
        do {
            try insertSession(screen: screen)
        } catch {
            SessionsBeingWritten.end(session.id, in: vault)
            throw error
        }
    }

    deinit {
        SessionsBeingWritten.end(session.id, in: vault)
    }

    private nonisolated func insertSession(screen: String) throws(VaultError) {
        try vault.write { db in
            try db.execute(
                sql: """
                    INSERT INTO session (id, started_at, backend, display, screen, policy_hash, policy_unsigned, consented_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.id, RFC3339.string(from: session.startedAt), session.backend, session.display, screen, session.policyHash,
                    session.policyUnsigned, session.consentedAt.map(RFC3339.string(from:)),
                ])
        }
    }

    /// Buffers an event; it gets its `seq` when it is stored.
    public func append(tNs: UInt64, body: EventBody) {
        add(.event(CapturedEvent(tNs: tNs, body: body)), tNs: tNs, bytes: 96)
    }

    /// Buffers a batch of events, in order.
    public func append(_ batch: [CapturedEvent]) {
        for event in batch { add(.event(event), tNs: event.tNs, bytes: 96) }
    }

    public func append(frame: FrameManifest) {
        add(.frame(frame), tNs: frame.grabbedNs, bytes: Int64(frame.tiles.count * 16 + 200))
    }

    public func append(patch: TilePatch) {
        add(.patch(patch), tNs: latestNs, bytes: Int64(patch.data.count + patch.tiles.count * 64))
    }

    private func add(_ item: Item, tNs: UInt64, bytes: Int64) {
        latestNs = max(latestNs, tNs)
        // Captured before a forget that covered it, but still upstream then (held for redaction, reordering).
        if let cutoff = forgottenUpToNs, item.tNs != nil, tNs <= cutoff { return }
        if var lost = gap {
            lost.toNs = max(lost.toNs, tNs)
            gap = lost
            return
        }
        pending.append(item)
        pendingBytes += bytes
    }

    public var buffered: Int { pending.count }

    public var storageState: StorageState {
        gap.map { .stopped($0.refusal, since: $0.since) } ?? .storing
    }

    /// True once after the writer lost tiles (in a gap): the next frame should carry all of
    /// its tiles. The recorder passes this on to capture.
    public func takeKeyframeRequest() -> Bool {
        defer { keyframeWanted = false }
        return keyframeWanted
    }

    /// Stores everything buffered, or, when there is no room, stops storing until there is.
    public func flush() throws(VaultError) {
        try honorForgetRequest()
        // A resume that fails at once continues the same stop: same gap, same `since`.
        let stopped = gap
        if gap != nil { resumeIfRoom() }
        guard gap == nil, !pending.isEmpty else { return }
        if let refusal = budget.refusal(adding: pendingBytes) {
            stopStoring(refusal, continuing: stopped)
            return
        }
        let waiting: [Item]
        do {
            waiting = try store(pending)
        } catch let error as DurableFile.Failure where error.isOutOfSpace {
            stopStoring(.diskFull, continuing: stopped)
            return
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            stopStoring(.diskFull, continuing: stopped)
            return
        } catch VaultError.diskFull {
            // Sealing the segment, or making the next one's folder, found the disk full.
            stopStoring(.diskFull, continuing: stopped)
            return
        } catch let error as VaultError {
            throw error
        } catch {
            throw .writeFailed("\(error)")
        }
        pending = waiting
        pendingBytes = Int64(waiting.count * 2000)
    }

    /// Flushes, seals the last segment and marks the session ended.
    public func close(endedAt: Date) throws(VaultError) {
        try flush()
        // Frames still waiting for tiles that will never come now.
        framesDropped += pending.count
        pending.removeAll()
        if let gap {
            // Still no room: the gap event alone is worth going over the quota by a few hundred bytes.
            do {
                _ = try store([.event(Self.gapEvent(gap, toNs: max(gap.toNs, latestNs)))])
                self.gap = nil
            } catch {
                throw .writeFailed("the vault is full; the gap from \(gap.fromNs) ns on could not be recorded: \(error)")
            }
        }
        if let segment = current, segment.inDatabase { try seal(segment) }
        current = nil
        let id = session.id
        try vault.write { db in
            try db.execute(sql: "UPDATE session SET ended_at = ? WHERE id = ?", arguments: [RFC3339.string(from: endedAt), id])
        }
        // Ended: from now on an empty session may go like any other.
        SessionsBeingWritten.end(id, in: vault)
    }

    // MARK: Storing

    /// Stores `items` and returns the frames that must wait: capture hands a frame's layout
    /// over before its tiles are encoded, so a frame whose tiles have not arrived yet stays
    /// buffered (for up to ``frameWaitNs``) instead of being stored incomplete.
    private func store(_ items: [Item]) throws -> [Item] {
        let newestNs = items.compactMap(\.tNs).max() ?? 0
        if let segment = current, segment.isDue(newestNs: newestNs, settings: settings) {
            try seal(segment)
            previous = segment
            current = nil
        }
        var segment = try current ?? OpenSegment(vault: vault, index: nextSegmentIndex)
        var batch = Batch(sessionID: session.id, startedAt: session.startedAt, firstSeq: nextSeq, nonces: nonces)
        // Nonces used by a failed write are never used again.
        defer { nonces = batch.nonces }
        var waiting: [Item] = []
        do {
            for case .patch(let patch) in items { try batch.add(patch, to: &segment, vault: vault, budget: &budget) }
            for item in items {
                switch item {
                case .patch: continue
                case .event(let event): try batch.add(event, to: &segment, startedAt: session.startedAt)
                case .frame(let frame):
                    guard try !batch.add(frame, to: &segment, from: previous, vault: vault, budget: &budget) else { continue }
                    if latestNs &- frame.grabbedNs < Self.frameWaitNs {
                        waiting.append(item)
                    } else {
                        framesDropped += 1
                        keyframeWanted = true
                    }
                }
            }
            guard !batch.isEmpty else {
                if !segment.inDatabase { try? FileManager.default.removeItem(at: segment.directory) }
                return waiting
            }
            try batch.sealEvents(in: &segment)
            if !batch.files.isEmpty { try DurableFile.syncFolder(segment.directory.path) }
            let committed = segment
            try vault.database.write { db in try batch.commit(committed, db: db) }
        } catch {
            for file in batch.files { unlink(file) }
            throw error
        }
        if current == nil { nextSegmentIndex += 1 }
        segment.inDatabase = true
        current = segment
        nextSeq = batch.nextSeq
        written += batch.eventCount
        bytesWritten += batch.bytes
        return waiting
    }

    /// How long a frame may wait for its tiles before it is given up (and a keyframe asked for).
    static let frameWaitNs: UInt64 = 3_000_000_000

    /// Records the segment's content digest and seal code, then applies retention.
    private func seal(_ segment: OpenSegment) throws(VaultError) {
        try vault.seal(segment: segment.id, keys: segment.keys)
        sealed += 1
        reloadSettings()
        do {
            _ = try vault.prune(settings: settings)
        } catch {
            // Retention is retried at the next seal and by `vault prune`; storing goes on.
        }
    }

    // MARK: Forgetting while recording

    /// Drops the segment being written when its owner asked to forget it (`understudy
    /// forget`), together with buffered events up to the end of the request.
    private func honorForgetRequest() throws(VaultError) {
        // Looked up every fourth flush (once a second on the recorder's timer): `forget` waits for it.
        flushes += 1
        guard flushes % 4 == 0, let segment = current, segment.inDatabase,
            let upToMs = try vault.forgetRequest(for: segment.id)
        else { return }
        try vault.destroy([segment.id])
        current = nil
        // The tiles of later frames may have been in the forgotten segment (or the one before it).
        previous = nil
        keyframeWanted = true
        let startedMs = session.startedAt.timeIntervalSince1970 * 1000
        let cutoff = UInt64(max(0, (Double(upToMs) - startedMs) * 1e6))
        forgottenUpToNs = max(forgottenUpToNs ?? 0, cutoff)
        pending.removeAll { item in
            guard case .event(let event) = item else { return false }
            return event.tNs <= cutoff
        }
        forgotten += 1
    }

    // MARK: Quota

    /// `continuing`: the stop this flush tried to end, when it could not: its `since` holds.
    private func stopStoring(_ refusal: StorageRefusal, continuing stopped: Gap? = nil) {
        let times = pending.compactMap(\.tNs)
        let fromNs = times.min() ?? latestNs
        let since = stopped?.since ?? vault.clock.now()
        gap = Gap(refusal: refusal, since: since, fromNs: fromNs, toNs: max(times.max() ?? fromNs, fromNs))
        pending.removeAll()
        pendingBytes = 0
    }

    private func resumeIfRoom() {
        guard let gap else { return }
        if budget.isStale(ageNs: 1_000_000_000) { reloadSettings() }
        guard budget.refusal(adding: 1 << 20) == nil else { return }
        // After a write failed for want of space the floor proves nothing (it may be 0, or
        // below 0): wait until the file system itself has that room again, instead of
        // failing a write on every flush.
        if gap.refusal == .diskFull, (StorageBudget.freeBytes(at: vault.directory.path) ?? 0) < 1 << 20 { return }
        self.gap = nil
        pending = [.event(Self.gapEvent(gap, toNs: latestNs))]
        pendingBytes = 96
        // Tiles dropped in the gap are unknown to the segment: frames need a keyframe again.
        keyframeWanted = true
    }

    /// Picks up `understudy vault config` changes made while recording, and measures again.
    private func reloadSettings() {
        settings = (try? vault.settings()) ?? settings
        budget.settings = settings
        budget.measure()
    }

    private static func gapEvent(_ gap: Gap, toNs: UInt64) -> CapturedEvent {
        CapturedEvent(tNs: gap.fromNs, body: .gap(reason: .quota, fromNs: gap.fromNs, toNs: max(toNs, gap.fromNs)))
    }
}

/// The rows and files of one flush, prepared outside the transaction that commits them.
private struct Batch {
    let sessionID: String
    let startedAtMs: Int64
    var nextSeq: Int64
    var nonces: NonceSequence
    /// This flush's events as JSON lines; sealed as one chunk when the batch is committed.
    var eventLines = ""
    var eventCount = 0
    var chunk: (first: Int64, last: Int64, payload: Data)?
    /// The segment's apps and sites as of this flush, sealed; nil when it added no events.
    var places: Data?
    var frames: [(key: Data, body: Data)] = []
    var patches: [(name: Int, codec: String, tileSize: Int, tileCount: Int, bytes: Int)] = []
    var tiles: [(key: Data, patch: Int, idx: Int)] = []
    var files: [String] = []
    /// Bytes sealed into this batch's rows and files.
    var bytes: Int64 = 0
    var isEmpty: Bool { eventCount == 0 && frames.isEmpty && patches.isEmpty }

    init(sessionID: String, startedAt: Date, firstSeq: Int64, nonces: NonceSequence) {
        self.sessionID = sessionID
        self.nonces = nonces
        startedAtMs = Int64((startedAt.timeIntervalSince1970 * 1000).rounded())
        nextSeq = firstSeq
    }

    mutating func add(_ captured: CapturedEvent, to segment: inout OpenSegment, startedAt: Date) throws {
        let seq = nextSeq
        nextSeq += 1
        let event = Event(seq: seq, tNs: captured.tNs, wall: startedAt.addingTimeInterval(Double(captured.tNs) / 1e9), body: captured.body)
        eventLines += event.json.serialized
        eventLines += "\n"
        eventCount += 1
        segment.cover(captured.tNs)
        segment.firstSeq = segment.firstSeq ?? seq
        segment.events += 1
        segment.kinds[event.kind, default: 0] += 1
        segment.places.note(captured.body)
    }

    mutating func add(_ patch: TilePatch, to segment: inout OpenSegment, vault: Vault, budget: inout StorageBudget) throws {
        try place(
            patch.data, info: .init(codec: patch.codec, tileSize: patch.tileSize, tiles: patch.tiles), in: &segment, vault: vault, budget: &budget)
    }

    /// Adds a frame whose tiles are all in `segment`, copying patches over from `previous`
    /// where needed. Returns false (and stores nothing) when a tile is nowhere to be found.
    mutating func add(
        _ frame: FrameManifest, to segment: inout OpenSegment, from previous: OpenSegment?,
        vault: Vault, budget: inout StorageBudget
    ) throws -> Bool {
        for tile in frame.tiles where segment.tiles[tile] == nil {
            guard let previous, let name = previous.tiles[tile], let info = previous.patches[name],
                let sealed = try? Data(contentsOf: vault.patchURL(segment: previous.id, name: name)),
                let data = try? previous.keys.open(sealed, context: OpenSegment.patchContext(segment: previous.id, name: name))
            else { return false }
            try place(data, info: info, in: &segment, vault: vault, budget: &budget)
        }
        let key = segment.keys.lookupKey(Data(frame.hash.utf8))
        let body = try segment.keys.sealFrame(frame, segment: segment.id, key: key, nonces: &nonces)
        frames.append((key, body))
        segment.cover(frame.grabbedNs)
        segment.frames += 1
        segment.bytes += Int64(body.count)
        bytes += Int64(body.count)
        return true
    }

    private mutating func place(
        _ data: Data, info: OpenSegment.PatchInfo, in segment: inout OpenSegment, vault: Vault,
        budget: inout StorageBudget
    ) throws {
        let name = segment.nextPatch
        segment.nextPatch += 1
        let sealed = try segment.keys.seal(data, context: OpenSegment.patchContext(segment: segment.id, name: name), nonces: &nonces)
        let path = vault.patchURL(segment: segment.id, name: name).path
        try DurableFile.replace(path, contents: sealed, syncingFolder: false)
        files.append(path)
        budget.added(fileBytes: sealed.count)
        patches.append((name, info.codec.rawValue, info.tileSize, info.tiles.count, sealed.count))
        for (index, tile) in info.tiles.enumerated() {
            tiles.append((segment.keys.lookupKey(tile.bytes), name, index))
            segment.tiles[tile] = name
        }
        segment.patches[name] = info
        segment.bytes += Int64(sealed.count)
        bytes += Int64(sealed.count)
    }

    /// Seals this flush's events as one chunk: one seal per flush, not per event, keeps
    /// encryption a small part of the write path.
    mutating func sealEvents(in segment: inout OpenSegment) throws {
        guard eventCount > 0 else { return }
        let first = nextSeq - Int64(eventCount)
        let last = nextSeq - 1
        let payload = try segment.keys.sealEvents(eventLines, session: sessionID, first: first, last: last, nonces: &nonces)
        chunk = (first, last, payload)
        // Rewritten with each flush that adds events, so an open segment says where it is too.
        places = try segment.keys.seal(
            JSONEncoder().encode(segment.places), context: SegmentPlaces.context(segment: segment.id), nonces: &nonces)
        segment.bytes += Int64(payload.count)
        bytes += Int64(payload.count)
    }

    func commit(_ segment: OpenSegment, db: Database) throws {
        let wallMs = { (ns: UInt64) in startedAtMs + Int64(clamping: ns / 1_000_000) }
        try db.execute(
            sql: """
                INSERT INTO segment (id, session_id, idx, state, wrapped_key, from_ns, to_ns, wall_from_ms, wall_to_ms, first_seq,
                                     event_count, frame_count, patch_count, bytes, kinds, places)
                VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET from_ns = excluded.from_ns, to_ns = excluded.to_ns, wall_from_ms = excluded.wall_from_ms,
                    wall_to_ms = excluded.wall_to_ms, first_seq = excluded.first_seq, event_count = excluded.event_count,
                    frame_count = excluded.frame_count, patch_count = excluded.patch_count, bytes = excluded.bytes, kinds = excluded.kinds,
                    places = coalesce(excluded.places, segment.places)
                """,
            arguments: [
                segment.id, sessionID, segment.index, segment.wrappedKey, Int64(clamping: segment.fromNs ?? 0),
                Int64(clamping: segment.toNs), wallMs(segment.fromNs ?? 0), wallMs(segment.toNs), segment.firstSeq ?? nextSeq,
                segment.events, segment.frames, segment.nextPatch, segment.bytes, segment.kindsJSON, places,
            ])
        if let chunk {
            try db.execute(
                sql: "INSERT INTO event_chunk (session_id, first_seq, last_seq, segment_id, payload) VALUES (?, ?, ?, ?, ?)",
                arguments: [sessionID, chunk.first, chunk.last, segment.id, chunk.payload])
        }
        let insertFrame = try db.cachedStatement(sql: "INSERT OR IGNORE INTO frame (segment_id, key, body) VALUES (?, ?, ?)")
        for frame in frames { try insertFrame.execute(arguments: [segment.id, frame.key, frame.body]) }
        let insertPatch = try db.cachedStatement(
            sql: "INSERT INTO patch (segment_id, name, codec, tile_size, tile_count, bytes) VALUES (?, ?, ?, ?, ?, ?)")
        for p in patches { try insertPatch.execute(arguments: [segment.id, p.name, p.codec, p.tileSize, p.tileCount, p.bytes]) }
        let insertTile = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tile (segment_id, key, patch, idx) VALUES (?, ?, ?, ?)")
        for tile in tiles { try insertTile.execute(arguments: [segment.id, tile.key, tile.patch, tile.idx]) }
    }
}
