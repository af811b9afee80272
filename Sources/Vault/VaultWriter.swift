import Foundation
import GRDB
import UnderstudyModel

/// Writes one session into a vault, in batches and off the capture path.
///
/// Events are numbered here (`seq` from 0 without gaps) and buffered; ``flush()`` writes the
/// buffer in one transaction. The recorder flushes on a timer and at the end, so capture
/// only ever appends to memory.
public actor VaultWriter {
    public let vault: Vault
    public let session: Session
    private var nextSeq: Int64 = 0
    private var events: [Event] = []
    private var frames: [FrameManifest] = []
    private var patches: [TilePatch] = []
    public private(set) var written = 0

    public init(vault: Vault, session: Session) async throws(VaultError) {
        self.vault = vault
        self.session = session
        let screen = String(decoding: (try? JSONEncoder().encode(session.screen)) ?? Data(), as: UTF8.self)
        do {
            try await vault.database.write { db in
                try db.execute(sql: "INSERT INTO session (id, started_at, backend, display, screen, policy_hash) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [session.id, RFC3339.string(from: session.startedAt), session.backend, session.display, screen, session.policyHash])
            }
        } catch {
            throw .writeFailed("\(error)")
        }
    }

    /// Numbers and buffers an event. Returns its `seq`.
    @discardableResult
    public func append(tNs: UInt64, body: EventBody) -> Int64 {
        let seq = nextSeq
        nextSeq += 1
        events.append(Event(seq: seq, tNs: tNs, wall: session.startedAt.addingTimeInterval(Double(tNs) / 1e9), body: body))
        return seq
    }

    /// Numbers and buffers a batch of events, in order.
    public func append(_ batch: [CapturedEvent]) {
        for event in batch { append(tNs: event.tNs, body: event.body) }
    }

    public func append(frame: FrameManifest) { frames.append(frame) }

    public func append(patch: TilePatch) { patches.append(patch) }

    public var buffered: Int { events.count + frames.count + patches.count }

    /// Writes everything buffered. Patch files are written (and synced) before the rows that
    /// name them, so a row never points at a file that a crash could leave missing.
    public func flush() async throws(VaultError) {
        guard buffered > 0 else { return }
        let (events, frames, patches) = (self.events, self.frames, self.patches)
        do {
            for patch in patches { try writeFile(patch) }
            let sessionID = session.id
            try await vault.database.write { db in
                let insertEvent = try db.cachedStatement(sql: "INSERT INTO event (session_id, seq, t_ns, wall_ms, kind, payload) VALUES (?, ?, ?, ?, ?, ?)")
                for event in events {
                    try insertEvent.execute(arguments: [sessionID, event.seq, Int64(clamping: event.tNs), Int64((event.wall.timeIntervalSince1970 * 1000).rounded()),
                                               event.kind, Data(JSONValue.object(event.body.fields).serialized.utf8)])
                }
                for f in frames {
                    try db.execute(sql: "INSERT OR IGNORE INTO frame (session_id, hash, grabbed_ns, width, height, tile_size, reason, tiles) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   arguments: [sessionID, f.hash, Int64(clamping: f.grabbedNs), f.width, f.height, f.tileSize, f.reason.rawValue, f.tileBytes])
                }
                for patch in patches {
                    try db.execute(sql: "INSERT OR IGNORE INTO patch (hash, session_id, codec, tile_size, tile_count, bytes) VALUES (?, ?, ?, ?, ?, ?)",
                                   arguments: [patch.hash, sessionID, patch.codec.rawValue, patch.tileSize, patch.tiles.count, patch.data.count])
                    for (index, tile) in patch.tiles.enumerated() {
                        try db.execute(sql: "INSERT OR REPLACE INTO tile (session_id, hash, patch, idx) VALUES (?, ?, ?, ?)",
                                       arguments: [sessionID, Data(tile.bytes), patch.hash, index])
                    }
                }
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw .writeFailed("\(error)")
        }
        written += events.count
        self.events.removeFirst(events.count)
        self.frames.removeFirst(frames.count)
        self.patches.removeFirst(patches.count)
    }

    /// Flushes and marks the session ended.
    public func close(endedAt: Date) async throws(VaultError) {
        try await flush()
        let id = session.id
        do {
            try await vault.database.write { db in
                try db.execute(sql: "UPDATE session SET ended_at = ? WHERE id = ?", arguments: [RFC3339.string(from: endedAt), id])
            }
        } catch {
            throw .writeFailed("\(error)")
        }
    }

    private func writeFile(_ patch: TilePatch) throws {
        let url = vault.patchURL(hash: patch.hash, codec: patch.codec.rawValue)
        let fm = FileManager.default
        guard !fm.fileExists(atPath: url.path) else { return }
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.appendingPathExtension("tmp")
        try patch.data.write(to: temporary)
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.synchronize()
        try handle.close()
        try fm.moveItem(at: temporary, to: url)
    }
}
