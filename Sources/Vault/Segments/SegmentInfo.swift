import Foundation
import GRDB
import UnderstudyModel

/// A segment as the owner reviews it: when, how much, and whether it is sealed.
public struct SegmentInfo: Sendable, Equatable {
    public var id: String
    public var session: String
    public var index: Int
    /// False while its recorder is writing it, or when that recorder was killed before sealing it.
    public var sealed: Bool
    public var from: Date
    public var to: Date
    public var events: Int
    public var frames: Int
    public var patches: Int
    /// Bytes of sealed events, frame layouts and patch files.
    public var bytes: Int64
    public var eventsByKind: [String: Int]

    init(row: Row) {
        id = row["id"]
        session = row["session_id"]
        index = row["idx"]
        sealed = (row["state"] as String) == "sealed"
        from = Date(timeIntervalSince1970: Double(row["wall_from_ms"] as Int64) / 1000)
        to = Date(timeIntervalSince1970: Double(row["wall_to_ms"] as Int64) / 1000)
        events = row["event_count"]
        frames = row["frame_count"]
        patches = row["patch_count"]
        bytes = row["bytes"]
        let kinds = (try? JSONValue.parse(Data((row["kinds"] as String).utf8))) ?? .object([])
        eventsByKind = [:]
        if case .object(let members) = kinds {
            for (kind, count) in members { eventsByKind[kind] = count.intValue.map { Int($0) } ?? 0 }
        }
    }

    /// How messages name the segment.
    public var label: String {
        "segment \(id) (session \(session), \(RFC3339.string(from: from)) to \(RFC3339.string(from: to)))"
    }
}

extension Vault {
    /// The vault's segments, oldest session first, in order within each session.
    public func segments(session: String? = nil) throws(VaultError) -> [SegmentInfo] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT g.* FROM segment g JOIN session s ON s.id = g.session_id
                    \(session == nil ? "" : "WHERE g.session_id = ?") ORDER BY s.started_at, g.session_id, g.idx
                    """, arguments: session.map { [$0] } ?? []
            ).map(SegmentInfo.init(row:))
        }
    }

    /// A segment's keys, from the wrapped key in its row.
    func keys(of segment: String) throws(VaultError) -> SegmentKeys {
        let wrapped = try read { db in try Data.fetchOne(db, sql: "SELECT wrapped_key FROM segment WHERE id = ?", arguments: [segment]) }
        guard let wrapped else { throw .damaged("segment \(segment) is not in the vault") }
        return try segmentKeys(segment: segment, wrapped: wrapped)
    }
}
