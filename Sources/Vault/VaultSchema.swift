import GRDB

/// The vault's tables, built by migrations so a vault from any earlier version opens.
///
/// What is stored in clear: ids, times, event kinds, sizes, screen geometry. Event fields
/// (typed keys, titles, coordinates) are in `payload`, and pixels in patch files, so the
/// encryption of the next schema version wraps exactly those two.
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
