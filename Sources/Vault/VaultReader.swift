import Foundation
import GRDB
import UnderstudyModel

/// Reading a vault: sessions, events in order, frame layouts and patches, and the figures
/// `understudy status` shows.
extension Vault {
    public func sessions() throws(VaultError) -> [Session] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY started_at, id").map { row in
                let screen = (try? JSONDecoder().decode(ScreenGeometry.self, from: Data((row["screen"] as String).utf8)))
                    ?? ScreenGeometry(width: 0, height: 0, monitors: [])
                return Session(id: row["id"], startedAt: RFC3339.date(from: row["started_at"]) ?? Date(timeIntervalSince1970: 0),
                               endedAt: (row["ended_at"] as String?).flatMap(RFC3339.date(from:)), backend: row["backend"],
                               display: row["display"], screen: screen, policyHash: row["policy_hash"])
            }
        }
    }

    /// Calls `body` with each event of a session (or of all sessions, oldest first) in `seq` order.
    /// A row that does not decode is reported through `damaged` and skipped.
    public func forEachEvent(session: String? = nil, damaged: (String) -> Void = { _ in },
                             _ body: (String, Event) throws -> Void) throws(VaultError) {
        try read { db in
            let sql = """
                SELECT e.* FROM event e JOIN session s ON s.id = e.session_id
                \(session == nil ? "" : "WHERE e.session_id = ?") ORDER BY s.started_at, e.session_id, e.seq
                """
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: session.map { [$0] } ?? [])
            while let row = try cursor.next() {
                let sessionID: String = row["session_id"]
                let seq: Int64 = row["seq"]
                do {
                    let fields = try JSONValue.parse(row["payload"])
                    let tNs: Int64 = row["t_ns"]
                    let wallMs: Int64 = row["wall_ms"]
                    let event = Event(seq: seq, tNs: UInt64(max(0, tNs)), wall: Date(timeIntervalSince1970: Double(wallMs) / 1000),
                                      body: try EventBody(kind: row["kind"], fields: fields))
                    try body(sessionID, event)
                } catch let error as EventDecodingError {
                    damaged("session \(sessionID) event \(seq): \(error)")
                }
            }
        }
    }

    /// A stored frame's layout.
    public func frame(session: String, hash: String) throws(VaultError) -> FrameManifest? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM frame WHERE session_id = ? AND hash = ?", arguments: [session, hash]).map { row in
                FrameManifest(hash: row["hash"], width: row["width"], height: row["height"], tileSize: row["tile_size"],
                              grabbedNs: UInt64(max(0, row["grabbed_ns"] as Int64)),
                              reason: FrameReason(rawValue: row["reason"]) ?? .periodic, tiles: FrameManifest.tiles(from: row["tiles"]))
            }
        }
    }

    /// Where a tile's pixels are: the patch file and the tile's index in it.
    public func tileLocation(session: String, tile: TileHash) throws(VaultError) -> (patch: String, codec: TileCodec, file: URL, index: Int)? {
        try read { db in
            try Row.fetchOne(db, sql: """
                SELECT t.idx, p.hash, p.codec FROM tile t JOIN patch p ON p.hash = t.patch
                WHERE t.session_id = ? AND t.hash = ?
                """, arguments: [session, Data(tile.bytes)]).flatMap { row in
                guard let codec = TileCodec(rawValue: row["codec"]) else { return nil }
                return (row["hash"], codec, patchURL(hash: row["hash"], codec: codec.rawValue), row["idx"])
            }
        }
    }

    /// Counts for `understudy status`.
    public struct Summary: Sendable, Equatable {
        public var sessions: Int
        public var eventsByKind: [String: Int]
        public var frames: Int
        public var patches: Int
        public var patchBytes: Int
        public var bytesOnDisk: Int
        public var events: Int { eventsByKind.values.reduce(0, +) }
    }

    public func summary(session: String? = nil) throws(VaultError) -> Summary {
        let filter = session == nil ? "" : "WHERE session_id = ?"
        let arguments: StatementArguments = session.map { [$0] } ?? []
        var summary = try read { db in
            var byKind: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) AS n FROM event \(filter) GROUP BY kind", arguments: arguments) {
                byKind[row["kind"]] = row["n"]
            }
            return Summary(
                sessions: try Int.fetchOne(db, sql: "SELECT count(*) FROM session \(session == nil ? "" : "WHERE id = ?")", arguments: arguments) ?? 0,
                eventsByKind: byKind,
                frames: try Int.fetchOne(db, sql: "SELECT count(*) FROM frame \(filter)", arguments: arguments) ?? 0,
                patches: try Int.fetchOne(db, sql: "SELECT count(*) FROM patch \(filter)", arguments: arguments) ?? 0,
                patchBytes: try Int.fetchOne(db, sql: "SELECT coalesce(sum(bytes), 0) FROM patch \(filter)", arguments: arguments) ?? 0,
                bytesOnDisk: 0)
        }
        summary.bytesOnDisk = Self.diskUsage(of: directory)
        return summary
    }

    /// Bytes the directory occupies on disk: allocated blocks of its files and folders, as `du` counts.
    static func diskUsage(of directory: URL) -> Int {
        func allocated(_ path: String) -> Int {
            var info = stat()
            return lstat(path, &info) == 0 ? Int(info.st_blocks) * 512 : 0
        }
        var total = allocated(directory.path)
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return total }
        for case let relative as String in walker {
            total += allocated(directory.appendingPathComponent(relative).path)
        }
        return total
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
