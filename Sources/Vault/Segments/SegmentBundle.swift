import Crypto
import Foundation
import GRDB
import UnderstudyModel

/// A sealed segment's contents in one tar file, decrypted: what `understudy sync` uploads
/// (over TLS, to be encrypted again with the contributor's key on the server).
///
/// Members: `segment.json` (the segment's id, times and counts, and its session),
/// `events.jsonl` (the events, as `understudy log --json` prints them), `frames/{n}.frame`
/// (each frame layout: a JSON line, then its tile hashes), `patches/{name}.{codec}` (the tile
/// pixels as stored) with `patches/{name}.json` (codec, tile size and the tile hashes in order).
public struct SegmentBundle: Sendable, Equatable {
    /// SHA-256 of the tar file, hex: the upload's content hash and idempotency key.
    public var sha256: String
    public var bytes: Int64
}

extension Vault {
    /// Writes sealed segment `id` as a bundle to `url`, durably.
    public func writeBundle(segment id: String, to url: URL) throws(VaultError) -> SegmentBundle {
        guard let info = try segments().first(where: { $0.id == id }) else { throw .damaged("segment \(id) is not in the vault") }
        guard info.sealed else { throw .damaged("segment \(id) is still open: only sealed segments are uploaded") }
        guard let session = try sessions().first(where: { $0.id == info.session }) else { throw .damaged("the session of segment \(id) is missing") }
        let keys = try self.keys(of: id)
        var writer = try BundleWriter(url, mtime: Int(info.to.timeIntervalSince1970))

        let header = SegmentBundleHeader(
            id: info.id, index: info.index, from: info.from, to: info.to, events: info.events, frames: info.frames,
            session: .init(session))
        try writer.add("segment.json", Data(header.json.serializedPretty.utf8))

        var events = Data()
        let chunks = try read { db in
            try Row.fetchAll(db, sql: "SELECT first_seq, last_seq, payload FROM event_chunk WHERE segment_id = ? ORDER BY first_seq", arguments: [id])
        }
        for row in chunks {
            let first: Int64 = row["first_seq"]
            let last: Int64 = row["last_seq"]
            guard let opened = Self.openEvents(row["payload"], keys: keys, session: info.session, first: first, last: last) else {
                throw .damaged("events \(first)-\(last) of segment \(id) do not decrypt")
            }
            for event in opened { events.append(Data((event.json.serialized + "\n").utf8)) }
        }
        try writer.add("events.jsonl", events)

        let frameRows = try read { db in try Row.fetchAll(db, sql: "SELECT key, body FROM frame WHERE segment_id = ?", arguments: [id]) }
        var manifests: [FrameManifest] = []
        for row in frameRows {
            let key: Data = row["key"]
            guard let manifest = keys.openFrame(row["body"], segment: id, key: key)
            else {
                throw .damaged("a frame of segment \(id) does not decrypt")
            }
            manifests.append(manifest)
        }
        manifests.sort { ($0.grabbedNs, $0.hash) < ($1.grabbedNs, $1.hash) }
        for (n, manifest) in manifests.enumerated() { try writer.add("frames/\(String(format: "%06d", n)).frame", FrameBody.encode(manifest)) }

        // Which tile each patch holds at each index, from the frames' tile hashes.
        var tilesOfPatch: [Int: [Int: TileHash]] = [:]
        try read { db in
            var seen: Set<TileHash> = []
            for tile in manifests.flatMap(\.tiles) where seen.insert(tile).inserted {
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT patch, idx FROM tile WHERE segment_id = ? AND key = ?",
                        arguments: [id, keys.lookupKey(tile.bytes)])
                else { continue }
                tilesOfPatch[row["patch"], default: [:]][row["idx"]] = tile
            }
        }
        let patches = try read { db in
            try Row.fetchAll(db, sql: "SELECT name, codec, tile_size FROM patch WHERE segment_id = ? ORDER BY name", arguments: [id])
        }
        for row in patches {
            let name: Int = row["name"]
            let codec: String = row["codec"]
            let tileSize: Int = row["tile_size"]
            guard let sealed = try? Data(contentsOf: patchURL(segment: id, name: name)),
                let data = try? keys.open(sealed, context: OpenSegment.patchContext(segment: id, name: name))
            else { throw .damaged("tile patch \(name) of segment \(id) is missing or altered") }
            let tiles = tilesOfPatch[name] ?? [:]
            let ordered = (0..<(tiles.keys.max().map { $0 + 1 } ?? 0)).map { tiles[$0] }
            guard let known = TileCodec(rawValue: codec) else { throw .damaged("tile patch \(name) of segment \(id) names no known codec") }
            let layout = TilePatchLayout(codec: known, tileSize: tileSize, tiles: ordered)
            try writer.add("patches/\(name).json", Data(layout.json.serialized.utf8))
            try writer.add("patches/\(name).\(codec)", data)
        }
        return try writer.finish()
    }
}

/// Writes the tar member by member, hashing as it goes, so only one member is in memory at a
/// time; the file appears under its name only once complete and synced.
private struct BundleWriter {
    let mtime: Int
    private let file: DurableFile.Writer
    private var hasher = SHA256()
    private var bytes: Int64 = 0

    init(_ url: URL, mtime: Int) throws(VaultError) {
        self.mtime = mtime
        do { file = try DurableFile.Writer(url.path) } catch { throw .damaged("cannot write \(url.path): \(error)") }
    }

    mutating func add(_ name: String, _ data: Data) throws(VaultError) {
        let header: Data
        do { header = try TarFormat.header(name, size: data.count, mtime: mtime) } catch { throw .damaged(error.description) }
        try append(header)
        try append(data)
        try append(TarFormat.padding(data.count))
    }

    private mutating func append(_ data: Data) throws(VaultError) {
        hasher.update(data: data)
        bytes += Int64(data.count)
        do { try file.write(data) } catch { throw .damaged("cannot write \(file.path): \(error)") }
    }

    mutating func finish() throws(VaultError) -> SegmentBundle {
        try append(TarFormat.end)
        let path = file.path
        let digest = hasher.finalize()
        let size = bytes
        do { try file.commit() } catch { throw .damaged("cannot write \(path): \(error)") }
        return SegmentBundle(sha256: digest.hexDigits, bytes: size)
    }
}
