import Crypto
import Foundation
import GRDB

/// The content hash recorded when a segment is sealed: SHA-256 over every stored byte of
/// the segment (sealed event chunks, frame layouts, tile index and patch files) in a fixed order.
///
/// It is computed from what is stored, by sealing, by recovery after a crash and by
/// `understudy vault check`, so all three agree by construction. It detects bit rot and
/// tampering without the key; the seal code (``SegmentKeys/sealCode(_:)``) makes the
/// digest itself unforgeable by anyone without the key.
enum SegmentDigest {
    struct MissingFile: Error {
        let name: Int
        let path: String
    }

    static func compute(_ db: Database, segment: String, vault: Vault) throws -> Data {
        var hasher = SHA256()
        func add(_ data: Data) {
            add(Int64(data.count))
            hasher.update(data: data)
        }
        func add(_ number: Int64) {
            withUnsafeBytes(of: number.bigEndian) { hasher.update(bufferPointer: $0) }
        }
        add(Data("understudy segment v1 \(segment)".utf8))
        let chunks = try Row.fetchCursor(
            db, sql: "SELECT first_seq, last_seq, payload FROM event_chunk WHERE segment_id = ? ORDER BY first_seq",
            arguments: [segment])
        while let row = try chunks.next() {
            add(row["first_seq"] as Int64)
            add(row["last_seq"] as Int64)
            add(row["payload"] as Data)
        }
        let frames = try Row.fetchCursor(db, sql: "SELECT key, body FROM frame WHERE segment_id = ? ORDER BY key", arguments: [segment])
        while let row = try frames.next() {
            add(row["key"] as Data)
            add(row["body"] as Data)
        }
        let tiles = try Row.fetchCursor(db, sql: "SELECT key, patch, idx FROM tile WHERE segment_id = ? ORDER BY key", arguments: [segment])
        while let row = try tiles.next() {
            add(row["key"] as Data)
            add(row["patch"] as Int64)
            add(row["idx"] as Int64)
        }
        let patches = try Row.fetchAll(
            db, sql: "SELECT name, codec, tile_size, tile_count FROM patch WHERE segment_id = ? ORDER BY name", arguments: [segment])
        for row in patches {
            let name: Int = row["name"]
            add(Int64(name))
            add(Data((row["codec"] as String).utf8))
            add(row["tile_size"] as Int64)
            add(row["tile_count"] as Int64)
            let url = vault.patchURL(segment: segment, name: name)
            guard let contents = try? Data(contentsOf: url) else { throw MissingFile(name: name, path: url.path) }
            add(contents)
        }
        return Data(hasher.finalize())
    }
}
