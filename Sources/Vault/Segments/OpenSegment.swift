import Crypto
import Foundation
import UnderstudyModel

/// The segment a ``VaultWriter`` is filling: its keys, and what it holds so far.
///
/// A segment is self-contained: every tile its frames use is stored in it, so forgetting one
/// segment never breaks another. The writer copies a tile patch over from the segment before
/// when a frame still uses it (see ``VaultWriter``).
struct OpenSegment {
    struct PatchInfo {
        var codec: TileCodec
        var tileSize: Int
        var tiles: [TileHash]
    }

    let id: String
    let index: Int
    let keys: SegmentKeys
    let wrappedKey: Data
    let directory: URL
    /// False until the segment's row is committed.
    var inDatabase = false
    var tiles: [TileHash: Int] = [:]
    var patches: [Int: PatchInfo] = [:]
    var nextPatch = 0
    var fromNs: UInt64?
    var toNs: UInt64 = 0
    var firstSeq: Int64?
    var events = 0
    var frames = 0
    var bytes: Int64 = 0
    var kinds: [String: Int] = [:]
    var places = SegmentPlaces()

    /// A new segment with a fresh random data key, wrapped by the vault key.
    init(vault: Vault, index: Int) throws(VaultError) {
        id = UUID().uuidString.lowercased()
        self.index = index
        let dataKey = SymmetricKey(size: .bits256)
        if vault.encrypted {
            do {
                wrappedKey = try vault.requireKey().wrap(dataKey, segment: id)
            } catch let error as VaultError {
                throw error
            } catch {
                throw .writeFailed("cannot wrap a segment key: \(error)")
            }
            keys = SegmentKeys(dataKey: dataKey, encrypts: true)
        } else {
            wrappedKey = Data()
            keys = try vault.segmentKeys(segment: id, wrapped: wrappedKey)
        }
        directory = vault.segmentDirectory(id)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch let error as CocoaError where error.code == .fileWriteOutOfSpace {
            throw .diskFull("cannot create \(directory.path): \(error.localizedDescription)")
        } catch {
            throw .writeFailed("cannot create \(directory.path): \(error.localizedDescription)")
        }
    }

    var hasItems: Bool { fromNs != nil }

    /// Whether the segment should be sealed before items up to `newestNs` are added.
    func isDue(newestNs: UInt64, settings: VaultSettings) -> Bool {
        guard let fromNs else { return false }
        return newestNs &- fromNs >= UInt64(settings.segmentSeconds) * 1_000_000_000 || bytes >= settings.segmentBytes
    }

    mutating func cover(_ tNs: UInt64) {
        fromNs = min(fromNs ?? tNs, tNs)
        toNs = max(toNs, tNs)
    }

    var kindsJSON: String { Self.kindsJSON(kinds) }

    /// A segment row's `kinds`: events by kind, as JSON with its keys in order.
    static func kindsJSON(_ kinds: [String: Int]) -> String {
        JSONValue.object(kinds.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }).serialized
    }

    /// What each sealed item is bound to: its kind, where it belongs, and its number or key.
    static func eventsContext(session: String, first: Int64, last: Int64) -> Data {
        var data = Data("events \(session)".utf8)
        withUnsafeBytes(of: (first.bigEndian, last.bigEndian)) { data.append(contentsOf: $0) }
        return data
    }
    static func frameContext(segment: String, key: Data) -> Data { Data("frame \(segment) ".utf8) + key }
    static func patchContext(segment: String, name: Int) -> Data { context("patch \(segment)", Int64(name)) }

    private static func context(_ prefix: String, _ number: Int64) -> Data {
        var data = Data(prefix.utf8)
        withUnsafeBytes(of: number.bigEndian) { data.append(contentsOf: $0) }
        return data
    }
}
