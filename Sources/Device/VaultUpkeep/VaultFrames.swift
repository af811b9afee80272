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

/// A stored frame written out as an image file, so its owner sees exactly what was kept
/// (masked windows and filled boxes included). Encoded, it is `vault frame --json`.
public struct StoredFrameImage: Encodable, Sendable {
    public var frame: String
    public var width: Int
    public var height: Int
    /// Why it was taken: `periodic`, `click`, …
    public var reason: String
    /// The boxes redaction filled in it.
    public var redactions: [FrameRedaction]

    /// Writes the frame `hash` of the newest session (its newest frame when nil) to `file`:
    /// PNG, or binary PPM when the name ends in `.ppm`.
    public static func write(from vault: Vault, hash: String?, to file: String) throws -> StoredFrameImage {
        let (session, frames) = try vault.newestSessionFrames()
        guard let wanted = hash ?? frames.last, let (segment, manifest) = try vault.frame(session: session.id, hash: wanted) else {
            throw DeviceFailure("no such frame in session \(session.id)")
        }
        if let withheld = manifest.withheld { throw DeviceFailure("frame \(wanted) was withheld (\(withheld)): its pixels were never stored") }
        let pixels = try vault.pixels(of: manifest, segment: segment)
        try ImageFile.write(pixels, width: manifest.width, height: manifest.height, to: file)
        return StoredFrameImage(
            frame: wanted, width: manifest.width, height: manifest.height, reason: manifest.reason.rawValue, redactions: manifest.redactions)
    }

    /// What was written, in words (`file` is where).
    public func text(file: String) -> String {
        let kinds = Set(redactions.map(\.what.rawValue)).sorted()
        let filled = kinds.isEmpty ? "" : "Redaction filled \(redactions.count) box(es) in it: \(kinds.joined(separator: ", ")).\n"
        return filled + "Wrote frame \(frame) (\(width)x\(height), \(reason)) to \(file)."
    }
}
