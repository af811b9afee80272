import Foundation

/// `patches/N.json` in a segment bundle: the codec and tile size of the strip
/// `patches/N.<codec>` beside it, and the tile at each of its positions (nil where no frame of
/// the segment refers to the tile there). The vault writes it; the upload check and bundle
/// readers read it through ``init(json:maxTileSide:)``.
public struct TilePatchLayout: Sendable, Equatable {
    public var codec: TileCodec
    public var tileSize: Int
    public var tiles: [TileHash?]

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(codec: TileCodec, tileSize: Int, tiles: [TileHash?]) {
        (self.codec, self.tileSize, self.tiles) = (codec, tileSize, tiles)
    }

    /// Its JSON, field by field in a fixed order: a position without a tile is an empty string.
    public var json: JSONValue {
        .object([("codec", .string(codec.rawValue)), ("tile_size", .int(Int64(tileSize))), ("tiles", .array(tiles.map { .string($0?.hex ?? "") }))])
    }

    /// Reads and checks a layout: a known codec, a tile side of 1 to `maxTileSide`, and each tile
    /// 32 lowercase hex digits or empty.
    public init(json: JSONValue, maxTileSide: Int = SegmentBundleCheck.maxTileSide) throws(Failure) {
        guard let codec = json["codec"]?.stringValue.flatMap(TileCodec.init(rawValue:)), let side = json["tile_size"]?.intValue,
            (1...Int64(maxTileSide)).contains(side), let tiles = json["tiles"]?.arrayValue
        else { throw Failure(description: "is not a patch layout") }
        var parsed: [TileHash?] = []
        for tile in tiles {
            guard let hex = tile.stringValue, hex.isEmpty || SegmentBundleCheck.isHash(hex, digits: 32) else {
                throw Failure(description: "has a tile hash that is not 32 hex digits")
            }
            parsed.append(hex.isEmpty ? nil : TileHash(hex: hex))
        }
        self.init(codec: codec, tileSize: Int(side), tiles: parsed)
    }
}
