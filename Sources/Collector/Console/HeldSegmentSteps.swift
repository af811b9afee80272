import Datasets
import Foundation
import UnderstudyModel

/// A held segment's steps as the reviewer's console page shows them, read from the scrubbed
/// bundle the API hands a reviewer (the contributor a pseudonym, the times shifted).
///
/// The collector decodes no image: each frame is drawn by the browser from the bundle's own
/// tile strips (PNG or WebP, one `data:` image per strip), every tile an SVG viewport onto its
/// place in a strip. So the page needs one API call, which is one audit record.
struct HeldSegmentSteps {
    static let perPage = 10

    let contents: SegmentBundleContents
    let episode: Episode?
    let steps: [EpisodeStep]

    init(tar: Data) throws {
        contents = try SegmentBundleContents(tar: tar)
        // Every step is shown, however short its episode: the reviewer judges them all.
        let episodes = try Exporter.episodes(from: HeldBundle(contents: contents), builder: EpisodeBuilder(settings: .stepsOnly))
        episode = episodes.first
        steps = episodes.flatMap(\.steps).filter { !$0.action.isTerminal }
    }

    /// The steps of page `page` (from 1).
    func page(_ page: Int) -> ArraySlice<EpisodeStep> {
        steps.dropFirst((page - 1) * Self.perPage).prefix(Self.perPage)
    }

    var pages: Int { max(1, (steps.count + Self.perPage - 1) / Self.perPage) }

    /// The strips `steps`' frames use, each once, as images for SVG `<use>` to cut tiles from.
    func strips(for steps: some Sequence<EpisodeStep>) -> String {
        var defined = Set<String>()
        var out = ""
        for step in steps {
            guard let frame = manifest(step.observationFrame) else { continue }
            for tile in frame.tiles {
                guard let found = contents.tilePatch(tile), defined.insert(found.patch).inserted else { continue }
                let stripHeight = frame.tileSize * found.tiles
                out +=
                    "<image id=\"\(Self.stripID(found.patch))\" width=\"\(frame.tileSize)\" height=\"\(stripHeight)\" preserveAspectRatio=\"none\" "
                    + "href=\"data:image/\(found.codec.rawValue);base64,\(found.data.base64EncodedString())\"/>"
            }
        }
        return "<svg class=\"strips\" aria-hidden=\"true\" width=\"0\" height=\"0\"><defs>\(out)</defs></svg>"
    }

    /// The frame a step was decided on, drawn from its tiles; nil when it has none here.
    func picture(of step: EpisodeStep) -> String? {
        guard let frame = manifest(step.observationFrame) else { return nil }
        var tiles = ""
        for (index, tile) in frame.tiles.enumerated() {
            guard let found = contents.tilePatch(tile) else { continue }
            let (x, y, _, _) = frame.tileRect(index)
            let size = frame.tileSize
            tiles +=
                "<svg x=\"\(x)\" y=\"\(y)\" width=\"\(size)\" height=\"\(size)\" viewBox=\"0 \(found.index * size) \(size) \(size)\">"
                + "<use href=\"#\(Self.stripID(found.patch))\"/></svg>"
        }
        // At half size every tile edge falls on a whole pixel: scaled by any other factor, the
        // browser's anti-aliasing of each tile's edges shows as a faint grid.
        return
            "<svg class=\"picture\" width=\"\(frame.width / 2)\" height=\"\(frame.height / 2)\" viewBox=\"0 0 \(frame.width) \(frame.height)\" role=\"img\" "
            + "aria-label=\"the screen before step \(step.index)\">\(tiles)</svg>"
    }

    private func manifest(_ hash: String?) -> FrameManifest? {
        guard let hash else { return nil }
        return contents.frames.first { $0.hash == hash && $0.withheld == nil }
    }

    private static func stripID(_ patch: String) -> String {
        "strip-" + String(patch.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "-" })
    }
}

/// The bundle as a recording to build steps from; its pixels stay with the browser.
private struct HeldBundle: RecordingSource {
    let contents: SegmentBundleContents

    func sessions() -> [Session] { [contents.session] }
    func events(of session: Session) -> [Event] { contents.events }

    func frame(_ hash: String, of session: Session) -> FrameRecord? {
        contents.frames.first { $0.hash == hash }.map { FrameRecord(redactions: $0.redactions, withheld: $0.withheld?.description) }
    }

    func png(_ hash: String, of session: Session) throws -> Data {
        throw APIError.notFound("frame \(hash) as PNG: the console draws frames from their tiles")
    }
}
