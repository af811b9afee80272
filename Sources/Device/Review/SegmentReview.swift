import Datasets
import Foundation
import Sync
import UnderstudyModel
import Vault

/// A reviewer's look at one held segment: its steps under pseudonyms, and pages showing each
/// step on its screen.
public struct SegmentReview {
    /// One step, as `review open` lists it (and `--json` writes it).
    public struct Step: Encodable, Sendable {
        public var episode: String
        public var tNs: Int64
        public var action: String
        public var pyautogui: String

        public var text: String { "\(episode)  t_ns \(tNs)  \(pyautogui)" }
    }

    public let segment: String
    let source: BundleRecordingSource

    /// Downloads the segment's scrubbed bundle.
    public static func open(_ segment: String, as staff: StaffSignIn) async throws -> SegmentReview {
        let bundle = try await staff.session { client, me in
            let answer = try await client.send("GET", "/v1/review/segments/\(segment)", as: me)
            do { return try SegmentBundleContents(tar: try answer.verifiedBody()) } catch { throw DeviceFailure("segment \(segment): \(error)") }
        }
        return SegmentReview(segment: segment, source: BundleRecordingSource([bundle]))
    }

    /// Every step but the terminal ones, in order.
    public func steps() throws -> [Step] {
        try Exporter.episodes(from: source, builder: EpisodeBuilder()).flatMap { episode in
            episode.steps.filter { !$0.action.isTerminal }.map {
                Step(episode: episode.id, tNs: Int64(clamping: $0.startNs), action: $0.action.verb, pyautogui: $0.action.pyautogui)
            }
        }
    }

    /// Writes the pages (`index.html` and a page per episode) into `folder`, new or empty.
    public func writePages(to folder: URL, server: String, generator: String) throws {
        // Every step is shown, however short its episode: the reviewer judges them all.
        var options = ExportOptions(format: .html)
        (options.filter.minActions, options.filter.maxRedactedShare, options.filter.maxInterruptedShare) = (0, 1, 1)
        _ = try Exporter(options: options).run(source: source, to: folder, lineage: Lineage(vault: server, generator: generator, consents: []))
    }
}
