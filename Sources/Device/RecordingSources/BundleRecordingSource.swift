import Capture
import Datasets
import Foundation
import UnderstudyModel
import Vault

/// Segment bundles from a collector as the recordings episodes and exports are built from:
/// the segments of one session are put back together in order. Bundles read from files keep
/// only their events and frame layouts in memory; a frame's tile pixels are read from its
/// bundle's file when the frame is drawn (the last two bundles read are kept).
public struct BundleRecordingSource: RecordingSource {
    /// One segment: its contents (without pixels when `file` is set) and where to read them.
    private struct Part {
        var contents: SegmentBundleContents
        var file: URL?
    }

    /// Each session's segments, in order.
    private let parts: [String: [Part]]
    private let ordered: [Session]
    private let recent = RecentBundles()
    /// zlib level of the PNG frames.
    public var pngLevel = 3

    /// Bundles already in memory, pixels and all.
    public init(_ contents: [SegmentBundleContents]) {
        self.init(parts: contents.map { Part(contents: $0, file: nil) })
    }

    /// Bundle files, read once now for their events and frame layouts.
    public init(files: [URL]) throws {
        self.init(
            parts: try files.map { file in
                do {
                    return Part(contents: try SegmentBundleContents(tar: try Data(contentsOf: file)).withoutPixels(), file: file)
                } catch {
                    throw DeviceFailure("\(file.lastPathComponent): \(error)")
                }
            })
    }

    private init(parts all: [Part]) {
        parts = Dictionary(grouping: all, by: \.contents.session.id).mapValues { $0.sorted { $0.contents.index < $1.contents.index } }
        ordered = parts.values.compactMap(\.first?.contents.session).sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
    }

    public func sessions() -> [Session] { ordered }

    /// The ids of a session's segments, in order.
    public func segmentIDs(of session: Session) -> [String] { (parts[session.id] ?? []).map(\.contents.segmentID) }

    public func events(of session: Session) -> [Event] {
        (parts[session.id] ?? []).flatMap(\.contents.events).sorted { $0.seq < $1.seq }
    }

    public func frame(_ hash: String, of session: Session) -> FrameRecord? {
        find(hash, in: session).map { FrameRecord(redactions: $0.manifest.redactions, withheld: $0.manifest.withheld?.description) }
    }

    public func png(_ hash: String, of session: Session) throws -> Data {
        guard let (part, manifest) = find(hash, in: session) else { throw DeviceFailure("frame \(hash) is not in session \(session.id)") }
        if let withheld = manifest.withheld { throw DeviceFailure("frame \(hash) was withheld (\(withheld)): its pixels were never stored") }
        let bundle = try part.file.map { try recent.bundle(at: $0) } ?? part.contents
        let pixels = try FrameAssembler.pixels(of: manifest) { tile in
            bundle.tilePatch(tile).map { found in .init(patchID: found.patch, codec: found.codec, index: found.index) { found.data } }
        }
        return try FramePNG.encode(pixels, width: manifest.width, height: manifest.height, level: pngLevel)
    }

    private func find(_ hash: String, in session: Session) -> (part: Part, manifest: FrameManifest)? {
        for part in parts[session.id] ?? [] {
            if let manifest = part.contents.frames.first(where: { $0.hash == hash }) { return (part, manifest) }
        }
        return nil
    }
}

/// The last bundles read whole from their files: exports draw a session's frames in order,
/// so the bundle holding the next frame is almost always one of them.
private final class RecentBundles {
    private var recent: [(file: URL, contents: SegmentBundleContents)] = []

    func bundle(at file: URL) throws -> SegmentBundleContents {
        if let hit = recent.first(where: { $0.file == file }) { return hit.contents }
        let contents = try SegmentBundleContents(tar: try Data(contentsOf: file))
        recent = [(file, contents)] + recent.prefix(1)
        return contents
    }
}

/// A stored frame's pixels (4 bytes each) as the bytes of a PNG file.
enum FramePNG {
    static func encode(_ pixels: [UInt8], width: Int, height: Int, level: Int) throws -> Data {
        try pixels.withUnsafeBytes {
            try PixelCodec.encode($0.baseAddress!, width: width, height: height, stride: width * 4, codec: .png, level: level)
        }
    }
}
