import Foundation
import UnderstudyModel

/// Rebuilds a stored frame's pixels from its layout and the patches holding its tiles.
public enum FrameAssembler {
    /// Where one tile's pixels are: a patch (its id, codec and bytes) and the tile's index in it.
    public struct TileSource {
        public var patchID: String
        public var codec: TileCodec
        public var data: @Sendable () throws -> Data
        public var index: Int

        public init(patchID: String, codec: TileCodec, index: Int, data: @escaping @Sendable () throws -> Data) {
            self.patchID = patchID
            self.codec = codec
            self.index = index
            self.data = data
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case missingTile(String)
        case unreadablePatch(String, String)

        public var description: String {
            switch self {
            case .missingTile(let hash): "tile \(hash) of the frame is not in the vault"
            case .unreadablePatch(let id, let reason): "patch \(id) cannot be read: \(reason)"
            }
        }
    }

    /// The frame as BGRX rows, stride `width * 4`, padding byte 0xFF.
    public static func pixels(of frame: FrameManifest, locate: (TileHash) throws -> TileSource?) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: frame.width * frame.height * 4)
        var decoded: [String: [UInt8]] = [:]
        let size = frame.tileSize
        for (index, tile) in frame.tiles.enumerated() {
            guard let source = try locate(tile) else { throw Failure.missingTile(tile.hex) }
            if decoded[source.patchID] == nil {
                do {
                    decoded[source.patchID] = try PixelCodec.decode(try source.data(), codec: source.codec).pixels
                } catch {
                    throw Failure.unreadablePatch(source.patchID, "\(error)")
                }
            }
            let strip = decoded[source.patchID]!
            let (x, y, w, h) = frame.tileRect(index)
            for line in 0..<h {
                let from = (source.index * size + line) * size * 4
                guard from + w * 4 <= strip.count else { throw Failure.unreadablePatch(source.patchID, "tile \(source.index) is outside the patch") }
                let to = ((y + line) * frame.width + x) * 4
                out.replaceSubrange(to..<(to + w * 4), with: strip[from..<(from + w * 4)])
            }
        }
        return out
    }
}
