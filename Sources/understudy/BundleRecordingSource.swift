import Capture
import Datasets
import Foundation
import UnderstudyModel
import Vault

/// Segment bundles from a collector as the recordings episodes and exports are built from:
/// the segments of one session are put back together in order.
struct BundleRecordingSource: RecordingSource {
    /// Each session's bundles, in segment order.
    private let bundles: [String: [SegmentBundleContents]]
    private let ordered: [Session]
    /// zlib level of the PNG frames.
    var pngLevel = 3

    init(_ contents: [SegmentBundleContents]) {
        bundles = Dictionary(grouping: contents, by: \.session.id).mapValues { $0.sorted { $0.index < $1.index } }
        ordered = bundles.values.compactMap(\.first?.session).sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
    }

    func sessions() -> [Session] { ordered }

    func events(of session: Session) -> [Event] {
        (bundles[session.id] ?? []).flatMap(\.events).sorted { $0.seq < $1.seq }
    }

    func frame(_ hash: String, of session: Session) -> FrameRecord? {
        manifest(hash, of: session).map { FrameRecord(redactions: $0.manifest.redactions, withheld: $0.manifest.withheld?.description) }
    }

    func png(_ hash: String, of session: Session) throws -> Data {
        guard let (bundle, manifest) = manifest(hash, of: session) else { throw CommandFailure("frame \(hash) is not in session \(session.id)") }
        if let withheld = manifest.withheld { throw CommandFailure("frame \(hash) was withheld (\(withheld)): its pixels were never stored") }
        let pixels = try FrameAssembler.pixels(of: manifest) { tile in
            bundle.tilePatch(tile).map { found in .init(patchID: found.patch, codec: found.codec, index: found.index) { found.data } }
        }
        return try FramePNG.encode(pixels, width: manifest.width, height: manifest.height, level: pngLevel)
    }

    private func manifest(_ hash: String, of session: Session) -> (bundle: SegmentBundleContents, manifest: FrameManifest)? {
        for bundle in bundles[session.id] ?? [] {
            if let manifest = bundle.frames.first(where: { $0.hash == hash }) { return (bundle, manifest) }
        }
        return nil
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
