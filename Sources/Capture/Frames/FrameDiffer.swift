import Crypto
import Foundation
import UnderstudyModel

/// Decides what of a grabbed screen is new: damaged tiles are hashed and compared with the
/// last stored frame; a frame with no changed tile is not stored at all.
///
/// Damage is counted in generations: each batch of damage rectangles bumps the generation
/// and stamps the tiles it touches. A grab remembers the generation it includes, so tiles
/// damaged after the last stored grab are exactly the ones that may differ from it. Damage
/// that arrives late only makes a tile be checked again, never skipped.
final class FrameDiffer {
    let width: Int
    let height: Int
    let tileSize: Int
    let columns: Int
    let rows: Int
    private(set) var generation: UInt64 = 1
    private var damagedAt: [UInt64]
    private var stored: [TileHash?]
    private var storedGeneration: UInt64 = 0
    private var known: Set<TileHash> = []
    private var tileBuffer: [UInt8]
    /// Damage rectangles not yet covered by a stored frame, with their generation.
    private var damageLog: [(generation: UInt64, rect: PixelRect)] = []
    /// Mixed into frame hashes, so a frame's id cannot confirm a guess of the unredacted screen.
    private let salt = Data((0..<16).map { _ in UInt8.random(in: 0...255) })

    /// What ``diff(_:forceAll:)`` found.
    struct Result {
        var tiles: [TileHash]
        var frameHash: String
        /// Tiles that differ from the last stored frame (all of them for the first frame).
        var changed: [Int]
        /// The damage since the last stored frame, when it accounts for every change (nil
        /// for the first frame, and for a grab older than the stored frame).
        var damage: [PixelRect]?
        var newTiles: [TileHash]
        /// New tiles' pixels, stacked, each `tileSize` square.
        var newPixels: [UInt8]
    }

    init(width: Int, height: Int, tileSize: Int) {
        self.width = width
        self.height = height
        self.tileSize = tileSize
        columns = (width + tileSize - 1) / tileSize
        rows = (height + tileSize - 1) / tileSize
        damagedAt = Array(repeating: 1, count: columns * rows)
        stored = Array(repeating: nil, count: columns * rows)
        tileBuffer = Array(repeating: 0, count: tileSize * tileSize * 4)
    }

    func markDamaged(_ rects: [(x: Int, y: Int, w: Int, h: Int)]) {
        guard !rects.isEmpty else { return }
        generation += 1
        for r in rects {
            let x0 = max(0, r.x)
            let y0 = max(0, r.y)
            let x1 = min(width, r.x + r.w)
            let y1 = min(height, r.y + r.h)
            guard x1 > x0, y1 > y0 else { continue }
            damageLog.append((generation, PixelRect(x: x0, y: y0, w: x1 - x0, h: y1 - y0)))
            for row in (y0 / tileSize)...((y1 - 1) / tileSize) {
                for column in (x0 / tileSize)...((x1 - 1) / tileSize) {
                    damagedAt[row * columns + column] = generation
                }
            }
        }
        // A long run of damage without a stored frame: one rectangle around it all will do.
        if damageLog.count > 4096 {
            let all = damageLog.map(\.rect)
            let x0 = all.map(\.x).min()!
            let y0 = all.map(\.y).min()!
            let x1 = all.map { $0.x + $0.w }.max()!
            let y1 = all.map { $0.y + $0.h }.max()!
            damageLog = [(generation, PixelRect(x: x0, y: y0, w: x1 - x0, h: y1 - y0))]
        }
    }

    /// Whether anything was damaged after the grab of generation `since`.
    func hasDamage(after since: UInt64) -> Bool { generation > since }

    /// Whether anything was damaged since the last stored frame's grab.
    var changedSinceStored: Bool { generation > storedGeneration }

    /// Forgets which tiles are stored, so the next frame carries all of its tiles (a keyframe).
    func startKeyframe() { known.removeAll(keepingCapacity: true) }

    /// Compares a grab with the last stored frame. Returns nil when the pixels are identical.
    func diff(_ slot: ScreenGrabber.Slot, forceAll: Bool = false) -> Result? {
        var tiles = stored.map { $0 ?? TileHash(high: 0, low: 0) }
        var changed = false
        var newTiles: [TileHash] = []
        var newPixels: [UInt8] = []
        var fresh: Set<TileHash> = []
        var changedTiles: [Int] = []
        // A grab older than the stored frame (a late click's observation) may differ anywhere.
        let everyTile = forceAll || known.isEmpty || slot.generation < storedGeneration
        let damageAccounts = !forceAll && slot.generation >= storedGeneration && !stored.contains(nil)
        for index in 0..<(columns * rows) {
            let dirty = everyTile || stored[index] == nil || damagedAt[index] > storedGeneration
            guard dirty else { continue }
            let hash = copyTile(index, from: slot)
            if hash != stored[index] {
                changed = true
                changedTiles.append(index)
            }
            tiles[index] = hash
            if !known.contains(hash), fresh.insert(hash).inserted {
                newTiles.append(hash)
                newPixels.append(contentsOf: tileBuffer)
            }
        }
        // Tiles count as stored only when their frame is: an unchanged grab stores nothing.
        guard changed else { return nil }
        known.formUnion(newTiles)
        stored = tiles
        let damage = damageAccounts ? damageLog.filter { $0.generation > storedGeneration }.map(\.rect) : nil
        storedGeneration = slot.generation
        damageLog.removeAll { $0.generation <= storedGeneration }
        return Result(tiles: tiles, frameHash: frameHash(tiles), changed: changedTiles, damage: damage, newTiles: newTiles, newPixels: newPixels)
    }

    /// Notes that a grab was identical to what is stored, so its damage is accounted for.
    func acceptUnchanged(_ slot: ScreenGrabber.Slot) {
        storedGeneration = max(storedGeneration, slot.generation)
        damageLog.removeAll { $0.generation <= storedGeneration }
    }

    /// Copies tile `index` into `tileBuffer` and hashes it.
    private func copyTile(_ index: Int, from slot: ScreenGrabber.Slot) -> TileHash {
        let (x, y, w, h) = tileRect(index)
        TileCut.copy(
            from: UnsafeRawPointer(slot.pixels) + y * slot.stride + x * 4, stride: slot.stride, w: w, h: h, size: tileSize, into: &tileBuffer)
        return TileCut.hash(tileBuffer)
    }

    /// Where tile `index` lies in the frame (edge tiles are cut short).
    func tileRect(_ index: Int) -> (x: Int, y: Int, w: Int, h: Int) {
        FrameManifest.tileRect(index, width: width, height: height, tileSize: tileSize)
    }

    private func frameHash(_ tiles: [TileHash]) -> String {
        var hasher = SHA256()
        withUnsafeBytes(of: (UInt32(width), UInt32(height), UInt32(tileSize))) { hasher.update(bufferPointer: $0) }
        hasher.update(data: salt)
        for tile in tiles { hasher.update(data: tile.bytes) }
        return hasher.finalize().prefix(16).hexDigits
    }
}

/// Cutting one tile out of a frame the way every tile hash is computed, so the differ and the
/// redaction stage agree on what a tile's hash is.
enum TileCut {
    /// Copies `w`×`h` pixels from rows starting at `source` into `buffer` (`size`² pixels, stride
    /// `size * 4`): the rest padded with zeros, each pixel's padding byte set to 0xFF.
    static func copy(from source: UnsafeRawPointer, stride: Int, w: Int, h: Int, size: Int, into buffer: inout [UInt8]) {
        buffer.withUnsafeMutableBytes { out in
            if w < size || h < size { out.initializeMemory(as: UInt8.self, repeating: 0) }
            let dst = out.baseAddress!.assumingMemoryBound(to: UInt32.self)
            for line in 0..<h {
                let from = (source + line * stride).assumingMemoryBound(to: UInt32.self)
                let to = dst + line * size
                for i in 0..<w { to[i] = from[i] | 0xFF00_0000 }
            }
        }
    }

    static func hash(_ buffer: [UInt8]) -> TileHash {
        SHA256.hash(data: buffer).withUnsafeBytes { TileHash(bytes: $0)! }
    }
}
