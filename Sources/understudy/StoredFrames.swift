import Capture
import Foundation
import UnderstudyModel
import Vault

extension Vault {
    /// A stored frame's pixels (4 bytes each, row by row), rebuilt from its segment's tile patches.
    func pixels(of manifest: FrameManifest, segment: String) throws -> [UInt8] {
        try FrameAssembler.pixels(of: manifest) { tile in
            try tilePatch(segment: segment, tile: tile).map { found in
                .init(patchID: found.patch, codec: found.codec, index: found.index) { found.data }
            }
        }
    }
}
