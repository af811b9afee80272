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
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.prefix(16).enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        self.init(high: h, low: l)
    }

    public var bytes: [UInt8] { (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high >> (56 - 8 * i) : low >> (56 - 8 * (i - 8)))) } }
    public var hex: String { String(format: "%016llx%016llx", high, low) }

    /// From its 32 hex digits (``hex``).
    public init?(hex: String) {
        guard hex.lowercased().isHex128, let high = UInt64(hex.prefix(16), radix: 16), let low = UInt64(hex.suffix(16), radix: 16) else { return nil }
        self.init(high: high, low: low)
    }
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
    /// Row-major, `columns * rows` entries; empty when the frame is withheld.
    public var tiles: [TileHash]
    /// The boxes filled before the frame was stored, and what each one hid.
    public var redactions: [FrameRedaction]
    /// Set when the frame's pixels were not stored at all, and why.
    public var withheld: FrameWithholding?

    public init(
        hash: String, width: Int, height: Int, tileSize: Int, grabbedNs: UInt64, reason: FrameReason, tiles: [TileHash],
        redactions: [FrameRedaction] = [], withheld: FrameWithholding? = nil
    ) {
        self.hash = hash
        self.width = width
        self.height = height
        self.tileSize = tileSize
        self.grabbedNs = grabbedNs
        self.reason = reason
        self.tiles = tiles
        self.redactions = redactions
        self.withheld = withheld
    }

    /// The largest screen side a frame may have (pixels): a layout read back beyond it is damaged.
    public static let maxSide = 16384
    /// The largest tile side a frame may have (pixels).
    public static let maxTileSize = 1024

    /// Why a layout read from a vault or a bundle cannot be a frame's, or nil when it can.
    /// Readers check it before they touch the geometry, so a crafted bundle can neither divide
    /// by zero, nor ask for a huge image, nor name a file outside its folder by its hash.
    public var problem: String? {
        guard hash.isFrameHash else { return "its hash is not a frame's" }
        guard (1...Self.maxSide).contains(width), (1...Self.maxSide).contains(height) else { return "its size \(width)×\(height) is out of range" }
        guard (1...Self.maxTileSize).contains(tileSize) else { return "its tile size \(tileSize) is out of range" }
        guard tiles.isEmpty || tiles.count == columns * rows else { return "it lists \(tiles.count) tiles for a \(columns)×\(rows) grid" }
        return nil
    }

    public var columns: Int { (width + tileSize - 1) / tileSize }
    public var rows: Int { (height + tileSize - 1) / tileSize }

    /// Where tile `index` (row-major) lies in a frame; tiles on the right and bottom edges are cut short.
    public static func tileRect(_ index: Int, width: Int, height: Int, tileSize: Int) -> (x: Int, y: Int, w: Int, h: Int) {
        let columns = (width + tileSize - 1) / tileSize
        let x = (index % columns) * tileSize
        let y = (index / columns) * tileSize
        return (x, y, min(tileSize, width - x), min(tileSize, height - y))
    }

    public func tileRect(_ index: Int) -> (x: Int, y: Int, w: Int, h: Int) {
        Self.tileRect(index, width: width, height: height, tileSize: tileSize)
    }

    /// The tile hashes as bytes, 16 per tile, for storage.
    public var tileBytes: Data { Data(tiles.flatMap(\.bytes)) }

    public static func tiles(from data: Data) -> [TileHash] {
        stride(from: 0, to: data.count - 15, by: 16).compactMap { TileHash(bytes: data[data.startIndex + $0..<data.startIndex + $0 + 16]) }
    }
}

/// Filling rectangles of an image with one pixel value: redaction boxes and masked windows.
public enum PixelFill {
    /// Fills each rectangle (x, y, width, height; clipped to `width` × `height`) in an image of
    /// 4-byte pixels with `pixel`.
    public static func fill(
        _ rects: [(x: Int, y: Int, w: Int, h: Int)], with pixel: UInt32, in pixels: UnsafeMutableRawPointer,
        width: Int, height: Int, stride: Int
    ) {
        for r in rects {
            let x0 = max(0, r.x)
            let y0 = max(0, r.y)
            let x1 = min(width, r.x + r.w)
            let y1 = min(height, r.y + r.h)
            guard x1 > x0, y1 > y0 else { continue }
            for y in y0..<y1 {
                (pixels + y * stride + x0 * 4).assumingMemoryBound(to: UInt32.self).update(repeating: pixel, count: x1 - x0)
            }
        }
    }
}

/// One filled box of a frame: what it hid and where (`box` is x, y, width, height in pixels).
public struct FrameRedaction: Sendable, Equatable, Hashable, Codable {
    public var what: RedactionKind
    public var box: [Int]

    public init(what: RedactionKind, box: [Int]) {
        self.what = what
        self.box = box
    }

    public var json: JSONValue { .object([("what", .string(what.rawValue)), ("box", .array(box.map { .int(Int64($0)) }))]) }

    /// What a filled pixel is: opaque black, distinct from the grey of masked windows.
    public static let fillPixel: UInt32 = 0xFF00_0000

    /// Fills each box (clipped to `width` × `height`) in an image of 4-byte pixels.
    public static func fill(_ boxes: [FrameRedaction], in pixels: UnsafeMutableRawPointer, width: Int, height: Int, stride: Int) {
        PixelFill.fill(
            boxes.map { ($0.box[0], $0.box[1], $0.box[2], $0.box[3]) }, with: fillPixel, in: pixels, width: width, height: height, stride: stride)
    }

    /// This box moved by (`dx`, `dy`) and cut to the rectangle `clip` (x, y, w, h); nil when nothing is left.
    public func shifted(dx: Int, dy: Int, clippedTo clip: (x: Int, y: Int, w: Int, h: Int)) -> FrameRedaction? {
        let x0 = max(box[0] + dx, clip.x)
        let y0 = max(box[1] + dy, clip.y)
        let x1 = min(box[0] + box[2] + dx, clip.x + clip.w)
        let y1 = min(box[1] + box[3] + dy, clip.y + clip.h)
        guard x1 > x0, y1 > y0 else { return nil }
        return FrameRedaction(what: what, box: [x0, y0, x1 - x0, y1 - y0])
    }

    /// Joins boxes of the same kind that share a whole edge (a box cut up by tiles becomes one
    /// again), and drops boxes inside another of the same kind.
    public static func merged(_ boxes: [FrameRedaction]) -> [FrameRedaction] {
        let unique = Array(Set(boxes))
        var out = unique.filter { b in
            !unique.contains { o in
                o != b && o.what == b.what && o.box[0] <= b.box[0] && o.box[1] <= b.box[1]
                    && o.box[0] + o.box[2] >= b.box[0] + b.box[2] && o.box[1] + o.box[3] >= b.box[1] + b.box[3]
            }
        }
        var joined = true
        while joined {
            joined = false
            search: for i in out.indices {
                for j in out.indices where j != i && out[i].what == out[j].what {
                    let a = out[i].box
                    let b = out[j].box
                    let sideways = a[1] == b[1] && a[3] == b[3] && a[0] + a[2] == b[0]
                    let downwards = a[0] == b[0] && a[2] == b[2] && a[1] + a[3] == b[1]
                    guard sideways || downwards else { continue }
                    out[i].box = sideways ? [a[0], a[1], a[2] + b[2], a[3]] : [a[0], a[1], a[2], a[3] + b[3]]
                    out.remove(at: j)
                    joined = true
                    break search
                }
            }
        }
        return out.sorted { ($0.box[1], $0.box[0]) < ($1.box[1], $1.box[0]) }
    }
}

/// Why a frame's pixels were not stored (its `frame` event and layout record stay, without tiles).
public enum FrameWithholding: Sendable, Equatable, CustomStringConvertible {
    /// It showed something of a kind the policy drops whole frames for.
    case showed(RedactionKind)
    /// OCR could not read it, so it could not be checked: frames are not stored unchecked.
    case unreadable
    /// It used tiles of a withheld frame, before the keyframe that replaces them.
    case followsWithheld

    public var description: String {
        switch self {
        case .showed(let kind): kind.rawValue
        case .unreadable: "ocr-failed"
        case .followsWithheld: "follows-withheld"
        }
    }

    public init?(_ text: String) {
        switch text {
        case "ocr-failed": self = .unreadable
        case "follows-withheld": self = .followsWithheld
        default:
            guard let kind = RedactionKind(rawValue: text) else { return nil }
            self = .showed(kind)
        }
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
