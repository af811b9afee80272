import Capture
import Datasets
import Foundation
import UnderstudyModel
import Vault

/// The vault as the recordings episodes and exports are built from.
public struct VaultRecordingSource: RecordingSource {
    public let vault: Vault
    /// zlib level of the PNG frames.
    public var pngLevel = 3

    public init(vault: Vault, pngLevel: Int = 3) {
        self.vault = vault
        self.pngLevel = pngLevel
    }

    public func sessions() throws -> [Session] { try vault.sessions() }

    public func events(of session: Session) throws -> [Event] {
        var events: [Event] = []
        try vault.forEachEvent(session: session.id, damaged: { warn("skipped: \($0)") }) { _, event in events.append(event) }
        return events
    }

    public func frame(_ hash: String, of session: Session) throws -> FrameRecord? {
        try vault.frame(session: session.id, hash: hash).map {
            FrameRecord(redactions: $0.manifest.redactions, withheld: $0.manifest.withheld?.description)
        }
    }

    public func png(_ hash: String, of session: Session) throws -> Data {
        let (pixels, width, height) = try self.pixels(hash, of: session)
        return try FramePNG.encode(pixels, width: width, height: height, level: pngLevel)
    }

    /// A stored frame's pixels (4 bytes each).
    public func pixels(_ hash: String, of session: Session) throws -> (pixels: [UInt8], width: Int, height: Int) {
        guard let (segment, manifest) = try vault.frame(session: session.id, hash: hash) else {
            throw DeviceFailure("frame \(hash) is not in session \(session.id)")
        }
        if let withheld = manifest.withheld { throw DeviceFailure("frame \(hash) was withheld (\(withheld)): its pixels were never stored") }
        return (try vault.pixels(of: manifest, segment: segment), manifest.width, manifest.height)
    }
}

extension Vault {
    /// The vault's episodes as `builder` cuts them, in time order: what `episodes`, `export`
    /// and `replay` all see, so an episode id means the same in all three.
    public func episodes(builder: EpisodeBuilder) throws -> [Episode] {
        try Exporter.episodes(from: VaultRecordingSource(vault: self), builder: builder)
    }
}
