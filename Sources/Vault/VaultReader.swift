import Foundation
import GRDB
import UnderstudyModel

/// Reading a vault: sessions, events in order, frame layouts and tile patches, all opened
/// with their segment's key, and the figures `understudy status` shows.
///
/// Damage is reported, not spread: a segment whose key does not unwrap, or an item whose
/// seal does not open, is named through `damaged` and skipped; the rest stays readable.
extension Vault {
    public func sessions() throws(VaultError) -> [Session] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY started_at, id").map { row in
                let screen =
                    (try? JSONDecoder().decode(ScreenGeometry.self, from: Data((row["screen"] as String).utf8)))
                    ?? ScreenGeometry(width: 0, height: 0, monitors: [])
                return Session(
                    id: row["id"], startedAt: RFC3339.date(from: row["started_at"]) ?? Date(timeIntervalSince1970: 0),
                    endedAt: (row["ended_at"] as String?).flatMap(RFC3339.date(from:)), backend: row["backend"],
                    display: row["display"], screen: screen, policyHash: row["policy_hash"],
                    policyUnsigned: row["policy_unsigned"], consentedAt: (row["consented_at"] as String?).flatMap(RFC3339.date(from:)))
            }
        }
    }

    /// Calls `body` with each event of a session (or of all sessions, oldest first) in `seq`
    /// order, of only some of its segments when `segments` names them. Damaged segments and
    /// events are reported through `damaged` and skipped.
    public func forEachEvent(
        session: String? = nil, segments only: Set<String>? = nil, damaged: (String) -> Void = { _ in },
        _ body: (String, Event) throws -> Void
    ) throws(VaultError) {
        if encrypted { _ = try requireKey() }
        for segment in try segments(session: session) where only?.contains(segment.id) ?? true {
            let keys: SegmentKeys
            do {
                keys = try self.keys(of: segment.id)
            } catch {
                damaged("\(segment.label): its \(segment.events) events are unreadable: \(error)")
                continue
            }
            try read { db in
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT first_seq, last_seq, payload FROM event_chunk WHERE segment_id = ? ORDER BY first_seq",
                    arguments: [segment.id])
                while let row = try cursor.next() {
                    let first: Int64 = row["first_seq"]
                    let last: Int64 = row["last_seq"]
                    guard let events = Self.openEvents(row["payload"], keys: keys, session: segment.session, first: first, last: last) else {
                        damaged(
                            "session \(segment.session) events \(first)-\(last) (in \(segment.label)) do not decrypt: they were altered or damaged")
                        continue
                    }
                    for event in events { try body(segment.session, event) }
                }
            }
        }
    }

    /// The events of one sealed chunk, or nil when it does not open or does not hold exactly `first...last`.
    static func openEvents(_ payload: Data, keys: SegmentKeys, session: String, first: Int64, last: Int64) -> [Event]? {
        guard let sealed = try? keys.open(payload, context: OpenSegment.eventsContext(session: session, first: first, last: last)),
            let plain = SealedText.unpacked(sealed)
        else { return nil }
        var events: [Event] = []
        for line in plain.split(separator: 0x0A) {
            guard let json = try? JSONValue.parse(Data(line)), let event = try? Event(json: json),
                event.seq == first + Int64(events.count)
            else { return nil }
            events.append(event)
        }
        return events.count == Int(last - first + 1) ? events : nil
    }

    /// A stored frame and the segment holding it, found by the frame's content hash.
    ///
    /// A frame's row is keyed by a code only its segment's key makes, so each segment is tried in
    /// turn. Exports and pages ask for frames mostly in order, so the search starts at the
    /// segment the session's last frame was found in: a day of hundreds of segments costs one or
    /// two tries a frame, not hundreds.
    public func frame(session: String, hash: String) throws(VaultError) -> (segment: String, manifest: FrameManifest)? {
        let rows = try read { db in
            try Row.fetchAll(db, sql: "SELECT id, wrapped_key FROM segment WHERE session_id = ? ORDER BY idx", arguments: [session])
        }
        let hint = frameHints.withLock { $0[session] }
        let start = rows.firstIndex { ($0["id"] as String) == hint } ?? 0
        for offset in rows.indices {
            let row = rows[(start + offset) % rows.count]
            let segment: String = row["id"]
            let keys = try segmentKeys(segment: segment, wrapped: row["wrapped_key"])
            let key = keys.lookupKey(Data(hash.utf8))
            let body = try read { db in
                try Data.fetchOne(db, sql: "SELECT body FROM frame WHERE segment_id = ? AND key = ?", arguments: [segment, key])
            }
            guard let body else { continue }
            guard let manifest = keys.openFrame(body, segment: segment, key: key)
            else { throw .damaged("frame \(hash) in segment \(segment) (session \(session)) does not decrypt") }
            frameHints.withLock { $0[session] = segment }
            return (segment, manifest)
        }
        return nil
    }

    /// A tile's pixels as stored: the decrypted patch holding it (`patch` names it uniquely in
    /// the vault), its codec, and the tile's index in the patch.
    public func tilePatch(segment: String, tile: TileHash) throws(VaultError) -> (
        patch: String, codec: TileCodec, tileSize: Int, data: Data, index: Int
    )? {
        let keys = try self.keys(of: segment)
        let row = try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT t.idx, p.name, p.codec, p.tile_size FROM tile t JOIN patch p ON p.segment_id = t.segment_id AND p.name = t.patch
                    WHERE t.segment_id = ? AND t.key = ?
                    """, arguments: [segment, keys.lookupKey(tile.bytes)])
        }
        guard let row, let codec = TileCodec(rawValue: row["codec"]) else { return nil }
        let name: Int = row["name"]
        let url = patchURL(segment: segment, name: name)
        guard let sealed = try? Data(contentsOf: url),
            let data = try? keys.open(sealed, context: OpenSegment.patchContext(segment: segment, name: name))
        else { throw .damaged("tile patch \(url.path) is missing, truncated or altered") }
        return ("\(segment)/\(name)", codec, row["tile_size"], data, row["idx"])
    }

    /// Counts for `understudy status`.
    public struct Summary: Sendable, Equatable {
        public var sessions: Int
        public var segments: Int
        public var openSegments: Int
        public var eventsByKind: [String: Int]
        public var frames: Int
        public var patches: Int
        public var patchBytes: Int
        /// Sealed event chunks, and sealed frame layouts (tile lists and redaction boxes), in bytes.
        public var eventBytes: Int
        public var frameLayoutBytes: Int
        public var bytesOnDisk: Int
        public var events: Int { eventsByKind.values.reduce(0, +) }
    }

    public func summary(session: String? = nil) throws(VaultError) -> Summary {
        let segments = try segments(session: session)
        var byKind: [String: Int] = [:]
        for segment in segments { byKind.merge(segment.eventsByKind, uniquingKeysWith: +) }
        let filter = session == nil ? "" : "WHERE segment_id IN (SELECT id FROM segment WHERE session_id = ?)"
        let arguments: StatementArguments = session.map { [$0] } ?? []
        let (sessions, patchBytes, eventBytes, layoutBytes) = try read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM session \(session == nil ? "" : "WHERE id = ?")", arguments: arguments) ?? 0,
                try Int.fetchOne(db, sql: "SELECT coalesce(sum(bytes), 0) FROM patch \(filter)", arguments: arguments) ?? 0,
                try Int.fetchOne(db, sql: "SELECT coalesce(sum(length(payload)), 0) FROM event_chunk \(filter)", arguments: arguments) ?? 0,
                try Int.fetchOne(db, sql: "SELECT coalesce(sum(length(body)), 0) FROM frame \(filter)", arguments: arguments) ?? 0
            )
        }
        return Summary(
            sessions: sessions, segments: segments.count, openSegments: segments.count { !$0.sealed }, eventsByKind: byKind,
            frames: segments.reduce(0) { $0 + $1.frames }, patches: segments.reduce(0) { $0 + $1.patches },
            patchBytes: patchBytes, eventBytes: eventBytes, frameLayoutBytes: layoutBytes, bytesOnDisk: Self.diskUsage(of: directory))
    }

    /// Bytes the directory occupies on disk: allocated blocks of its files and folders, as `du` counts.
    static func diskUsage(of directory: URL) -> Int {
        var total = allocated(directory.path)
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return total }
        for case let relative as String in walker {
            total += allocated(directory.appendingPathComponent(relative).path)
        }
        return total
    }

    /// Bytes a file or folder occupies on disk (its allocated blocks), 0 when it is missing.
    static func allocated(_ path: String) -> Int {
        var info = stat()
        return lstat(path, &info) == 0 ? Int(info.st_blocks) * 512 : 0
    }

    func read<T>(_ body: (Database) throws -> T) throws(VaultError) -> T {
        do {
            return try database.read(body)
        } catch let error as VaultError {
            throw error
        } catch {
            throw .unreadable(databaseURL.path, "\(error)")
        }
    }
}
