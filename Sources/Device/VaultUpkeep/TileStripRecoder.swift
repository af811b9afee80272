import Capture
import Foundation
import UnderstudyModel
import Vault

/// The codec the vault borrows to delete steps: decodes a stored tile strip and encodes again
/// only the tiles that stay (losslessly, as capture encoded them).
public struct TileStripRecoder: TilePatchRecoder {
    /// zlib level for PNG, method for WebP: what the recorder uses.
    public var level = 1

    public init() {}

    public func keeping(_ indices: [Int], of data: Data, codec: TileCodec, tileSize: Int) throws -> Data {
        let decoded = try PixelCodec.decode(data, codec: codec)
        let tileBytes = tileSize * tileSize * 4
        guard decoded.width == tileSize, decoded.height % tileSize == 0, indices.allSatisfy({ (0..<decoded.height / tileSize).contains($0) }) else {
            throw DeviceFailure("a tile patch is \(decoded.width)×\(decoded.height), not a strip of \(tileSize)-pixel tiles")
        }
        var kept = [UInt8]()
        kept.reserveCapacity(indices.count * tileBytes)
        for index in indices { kept += decoded.pixels[index * tileBytes..<(index + 1) * tileBytes] }
        return try kept.withUnsafeBytes { raw in
            try PixelCodec.encode(
                raw.baseAddress!, width: tileSize, height: tileSize * indices.count, stride: tileSize * 4, codec: codec, level: level)
        }
    }
}
