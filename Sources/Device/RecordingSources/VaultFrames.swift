import Capture
import Foundation
import UnderstudyModel
import Vault

extension Vault {
    /// The newest session and the hashes of its stored frames, in the order they were taken;
    /// damaged events are skipped with a warning.
    public func newestSessionFrames() throws -> (session: Session, frames: [String]) {
        guard let session = try sessions().last else { throw DeviceFailure("the vault holds no session") }
        var frames: [String] = []
        try forEachEvent(session: session.id, damaged: { warn("skipped: \($0)") }) { _, event in
            if case .frame(let hash, _, _, _) = event.body { frames.append(hash) }
        }
        return (session, frames)
    }

    /// A stored frame's pixels (4 bytes each, row by row), rebuilt from its segment's tile patches.
    public func pixels(of manifest: FrameManifest, segment: String) throws -> [UInt8] {
        try FrameAssembler.pixels(of: manifest) { tile in
            try tilePatch(segment: segment, tile: tile).map { found in
                .init(patchID: found.patch, codec: found.codec, index: found.index) { found.data }
            }
        }
    }
}
