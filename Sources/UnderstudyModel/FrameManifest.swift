import Foundation

/// A tile's identity: the first 128 bits of the SHA-256 of its normalised pixels.
public struct TileHash: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count >= 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.prefix(16).enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        self.init(high: h, low: l)
    }

    public var bytes: [UInt8] { (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high >> (56 - 8 * i) : low >> (56 - 8 * (i - 8)))) } }
    public var hex: String { String(format: "%016llx%016llx", high, low) }
}

/// How a stored frame is put together: a grid of tiles, each found by its hash in some patch.
///
/// A frame is stored as its layout plus the pixels of tiles not stored before (a
/// ``TilePatch``), so a click that changes a few tiles costs a few tiles of encoding, and an
/// unchanged region is never stored twice within a keyframe interval.
public struct FrameManifest: Sendable, Equatable {
    /// Content hash of the whole frame (hex): equal hashes mean equal pixels.
    public var hash: String
    public var width: Int
    public var height: Int
    public var tileSize: Int
    /// Nanoseconds since session start at which the pixels were grabbed.
    public var grabbedNs: UInt64
    public var reason: FrameReason
    /// Row-major, `columns * rows` entries.
    public var tiles: [TileHash]

    public init(hash: String, width: Int, height: Int, tileSize: Int, grabbedNs: UInt64, reason: FrameReason, tiles: [TileHash]) {
        self.hash = hash
        self.width = width
        self.height = height
        self.tileSize = tileSize
        self.grabbedNs = grabbedNs
        self.reason = reason
        self.tiles = tiles
    }

    public var columns: Int { (width + tileSize - 1) / tileSize }
    public var rows: Int { (height + tileSize - 1) / tileSize }

    /// The tile hashes as bytes, 16 per tile, for storage.
    public var tileBytes: Data { Data(tiles.flatMap(\.bytes)) }

    public static func tiles(from data: Data) -> [TileHash] {
        stride(from: 0, to: data.count - 15, by: 16).compactMap { TileHash(bytes: data[data.startIndex + $0 ..< data.startIndex + $0 + 16]) }
    }
}

/// Lossless encodings a patch can be stored in.
public enum TileCodec: String, Sendable, Codable {
    case png, webp

    public var fileExtension: String { rawValue }
}

/// Encoded pixels of new tiles, stacked top to bottom in a strip one tile wide.
public struct TilePatch: Sendable, Equatable {
    /// SHA-256 (hex) of `data`: the file's content address.
    public var hash: String
    public var codec: TileCodec
    public var tileSize: Int
    /// The tiles in the strip, top to bottom.
    public var tiles: [TileHash]
    public var data: Data

    public init(hash: String, codec: TileCodec, tileSize: Int, tiles: [TileHash], data: Data) {
        self.hash = hash
        self.codec = codec
        self.tileSize = tileSize
        self.tiles = tiles
        self.data = data
    }
}
