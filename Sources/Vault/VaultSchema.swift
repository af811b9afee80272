import GRDB

/// The vault's tables, built by migrations so a vault from any earlier version opens.
///
/// Since v2 everything captured is sealed per segment (see ``SegmentKeys``). What stays in
/// clear, and why, is listed in the README: ids and `seq` (to order and join rows), segment
/// time ranges and counts (for status, retention, quota and forget without the key), sizes,
/// tile codecs and the session's screen geometry.
enum VaultSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: sessions, events, frames") { db in
            try db.create(table: "session") { t in
                t.primaryKey("id", .text)
                t.column("started_at", .text).notNull()
                t.column("ended_at", .text)
                t.column("backend", .text).notNull()
                t.column("display", .text).notNull()
                t.column("screen", .text).notNull()
                t.column("policy_hash", .text)
            }
            try db.create(table: "event") { t in
                t.column("session_id", .text).notNull().references("session", onDelete: .cascade)
                t.column("seq", .integer).notNull()
                t.column("t_ns", .integer).notNull()
                t.column("wall_ms", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("payload", .blob).notNull()
                t.primaryKey(["session_id", "seq"])
            }
            try db.create(index: "event_kind", on: "event", columns: ["session_id", "kind"])
            try db.create(table: "frame") { t in
                t.column("session_id", .text).notNull().references("session", onDelete: .cascade)
                t.column("hash", .text).notNull()
                t.column("grabbed_ns", .integer).notNull()
                t.column("width", .integer).notNull()
                t.column("height", .integer).notNull()
                t.column("tile_size", .integer).notNull()
                t.column("reason", .text).notNull()
                t.column("tiles", .blob).notNull()
                t.primaryKey(["session_id", "hash"])
            }
            try db.create(table: "patch") { t in
                t.primaryKey("hash", .text)
                t.column("session_id", .text).notNull().references("session", onDelete: .cascade)
                t.column("codec", .text).notNull()
                t.column("tile_size", .integer).notNull()
                t.column("tile_count", .integer).notNull()
                t.column("bytes", .integer).notNull()
            }
            try db.create(table: "tile") { t in
                t.column("session_id", .text).notNull().references("session", onDelete: .cascade)
                t.column("hash", .blob).notNull()
                t.column("patch", .text).notNull().references("patch", onDelete: .cascade)
                t.column("idx", .integer).notNull()
                t.primaryKey(["session_id", "hash"])
            }
        }
        migrator.registerMigration("v2: encrypted segments") { db in
            // v1 was the unencrypted pre-release; its rows cannot be sealed without a segment
            // writer, and no such vault left a developer machine.
            let legacy = try Int.fetchOne(db, sql: "SELECT count(*) FROM event") ?? 0
            guard legacy == 0 else { throw VaultError.legacyPlaintext(legacy) }
            for table in ["tile", "patch", "frame", "event"] { try db.drop(table: table) }
            try db.create(table: "vault_info") { t in
                t.primaryKey("id", .text)
                t.column("created_at", .text).notNull()
                t.column("encryption", .text).notNull()
                t.column("key_check", .blob)
            }
            try db.create(table: "setting") { t in
                t.primaryKey("name", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "segment") { t in
                t.primaryKey("id", .text)
                t.column("session_id", .text).notNull().references("session", onDelete: .cascade)
                t.column("idx", .integer).notNull()
                t.column("state", .text).notNull()
                t.column("wrapped_key", .blob).notNull()
                t.column("from_ns", .integer).notNull()
                t.column("to_ns", .integer).notNull()
                t.column("wall_from_ms", .integer).notNull()
                t.column("wall_to_ms", .integer).notNull()
                t.column("first_seq", .integer).notNull()
                t.column("event_count", .integer).notNull()
                t.column("frame_count", .integer).notNull()
                t.column("patch_count", .integer).notNull()
                t.column("bytes", .integer).notNull()
                t.column("kinds", .text).notNull()
                t.column("digest", .blob)
                t.column("seal_code", .blob)
                t.column("sealed_at", .text)
                t.uniqueKey(["session_id", "idx"])
            }
            try db.create(index: "segment_wall", on: "segment", columns: ["wall_to_ms"])
            // The owner's request that a running recorder drop the segment it is writing.
            try db.create(table: "forget_request") { t in
                t.primaryKey("segment_id", .text)
                t.column("up_to_ms", .integer).notNull()
            }
            // Events are sealed in chunks (one per flush): seq first_seq...last_seq, as JSON lines.
            try db.create(table: "event_chunk") { t in
                t.column("session_id", .text).notNull()
                t.column("first_seq", .integer).notNull()
                t.column("last_seq", .integer).notNull()
                t.column("segment_id", .text).notNull().references("segment", onDelete: .cascade)
                t.column("payload", .blob).notNull()
                t.primaryKey(["session_id", "first_seq"])
            }
            try db.create(index: "event_chunk_segment", on: "event_chunk", columns: ["segment_id", "first_seq"])
            try db.create(table: "frame") { t in
                t.column("segment_id", .text).notNull().references("segment", onDelete: .cascade)
                t.column("key", .blob).notNull()
                t.column("body", .blob).notNull()
                t.primaryKey(["segment_id", "key"])
            }
            try db.create(table: "patch") { t in
                t.column("segment_id", .text).notNull().references("segment", onDelete: .cascade)
                t.column("name", .integer).notNull()
                t.column("codec", .text).notNull()
                t.column("tile_size", .integer).notNull()
                t.column("tile_count", .integer).notNull()
                t.column("bytes", .integer).notNull()
                t.primaryKey(["segment_id", "name"])
            }
            try db.create(table: "tile") { t in
                t.column("segment_id", .text).notNull().references("segment", onDelete: .cascade)
                t.column("key", .blob).notNull()
                t.column("patch", .integer).notNull()
                t.column("idx", .integer).notNull()
                t.primaryKey(["segment_id", "key"])
            }
        }
        migrator.registerMigration("v3: policy and consent of a session") { db in
            try db.alter(table: "session") { t in
                t.add(column: "policy_unsigned", .boolean).notNull().defaults(to: false)
                t.add(column: "consented_at", .text)
            }
        }
        migrator.registerMigration("v4: apps and sites of a segment") { db in
            // Sealed with the segment's key (``SegmentPlaces``); segments written before have none.
            try db.alter(table: "segment") { t in t.add(column: "places", .blob) }
        }
        return migrator
    }

    static func migrate(_ database: DatabasePool, path: String) throws(VaultError) {
        do {
            if try database.read({ try migrator.hasBeenSuperseded($0) }) { throw VaultError.newerSchema(path) }
            try migrator.migrate(database)
        } catch let error as VaultError {
            throw error
        } catch {
            throw .unreadable(path, "\(error)")
        }
    }
}
