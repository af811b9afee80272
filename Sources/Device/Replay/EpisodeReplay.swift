import Capture
import Datasets
import Foundation
import UnderstudyModel
import Vault

/// Performs an episode's actions on an X display through XTest, then compares the screen it
/// ends on with the episode's final frame: `run()` is the whole of `understudy replay`.
public struct EpisodeReplay: Sendable {
    public var episode: Episode
    public var vault: URL
    /// The X display; `$DISPLAY` when nil.
    public var display: String?
    /// 2 replays twice as fast as recorded.
    public var speed: Double
    /// How long to let the screen settle before comparing.
    public var settle: Duration
    /// Where to write the screen replay ended on (PNG, or PPM when it ends in .ppm), if anywhere.
    public var screenshot: String?

    public init(episode: Episode, vault: URL, display: String?, speed: Double, settle: Duration, screenshot: String?) {
        self.episode = episode
        self.vault = vault
        self.display = display
        self.speed = speed
        self.settle = settle
        self.screenshot = screenshot
    }

    /// The episode `id` among the vault's episodes as `builder` cuts them.
    public static func episode(_ id: String, in vault: Vault, builder: EpisodeBuilder) throws -> Episode {
        guard let episode = try vault.episodes(builder: builder).first(where: { $0.id == id }) else {
            throw DatasetError.unknownEpisode(id)
        }
        return episode
    }

    /// The inputs replay will perform, checked against the display's size before anything is sent.
    public func inputs() throws -> [SyntheticInput] {
        var settings = ReplayPlan.Settings()
        settings.speed = speed
        let inputs = try ReplayPlan(settings: settings).inputs(for: episode.steps)
        let screen = try ScreenSnapshot.take(display: display)
        guard screen.width == episode.screen.width, screen.height == episode.screen.height else {
            throw DeviceFailure(
                "the display is \(screen.width)x\(screen.height) but episode \(episode.id) was recorded on \(episode.screen.width)x\(episode.screen.height)"
            )
        }
        return inputs
    }

    /// Performs `inputs`, waits for the screen to settle and compares it with the final frame.
    public func run(_ inputs: [SyntheticInput]) throws -> ReplayOutcome {
        let started = ContinuousClock.now
        try XTestInjector(display: display).perform(inputs)
        let seconds = ((ContinuousClock.now - started).seconds * 1000).rounded() / 1000
        Thread.sleep(forTimeInterval: Double(settle.ns) / 1e9)
        var after = try ScreenSnapshot.take(display: display)
        let comparison = try episode.finalFrame.map { try compare(&after.pixels, with: $0) }
        if let screenshot { try ImageFile.write(after.pixels, width: after.width, height: after.height, to: screenshot) }
        return ReplayOutcome(
            episode: episode.id, steps: episode.steps.count, inputs: inputs.count, seconds: seconds, finalFrame: comparison?.frame,
            pixels: after.width * after.height, differingPixels: comparison?.differing, differingBox: comparison?.box)
    }

    /// Counts pixels of the live screen that differ from the recorded frame (colour only),
    /// after filling the frame's redaction boxes on the live screen as they were filled in it.
    private func compare(_ live: inout [UInt8], with frame: String) throws -> (frame: String, differing: Int, box: [Int]?) {
        let source = VaultRecordingSource(vault: try Vault(at: vault, create: false))
        let recorded = try source.pixels(frame, of: episode.session)
        let redactions = try source.frame(frame, of: episode.session)?.redactions ?? []
        let (width, height) = (recorded.width, recorded.height)
        live.withUnsafeMutableBytes { FrameRedaction.fill(redactions, in: $0.baseAddress!, width: width, height: height, stride: width * 4) }
        var differing = 0
        var (minX, minY, maxX, maxY) = (Int.max, Int.max, -1, -1)
        recorded.pixels.withUnsafeBufferPointer { a in
            live.withUnsafeBufferPointer { b in
                for y in 0..<height {
                    for x in 0..<width {
                        let i = (y * width + x) * 4
                        guard a[i] != b[i] || a[i + 1] != b[i + 1] || a[i + 2] != b[i + 2] else { continue }
                        differing += 1
                        (minX, minY, maxX, maxY) = (min(minX, x), min(minY, y), max(maxX, x), max(maxY, y))
                    }
                }
            }
        }
        return (frame, differing, differing > 0 ? [minX, minY, maxX - minX + 1, maxY - minY + 1] : nil)
    }
}

/// How a replay went. Encoded, it is `replay --json`.
public struct ReplayOutcome: Encodable, Sendable {
    public var episode: String
    public var steps: Int
    public var inputs: Int
    public var seconds: Double
    /// The recorded frame compared with; nil when the episode has none.
    @Nullable public var finalFrame: String?
    public var pixels: Int
    @Nullable public var differingPixels: Int?
    /// The smallest rectangle holding every differing pixel: x, y, w, h.
    @Nullable public var differingBox: [Int]?

    public var text: String {
        let replayed = "Replayed in \(String(format: "%.1f", seconds)) s."
        guard let finalFrame, let differing = differingPixels else { return replayed + "\nThe episode has no final frame to compare with." }
        let share = Double(differing) / Double(max(1, pixels)) * 100
        let place = differingBox.map { ", all within \($0[2])x\($0[3]) at (\($0[0]), \($0[1]))" } ?? ""
        return replayed
            + "\nFinal screen: \(differing) of \(pixels) pixels differ from the recorded final frame \(finalFrame) (\(String(format: "%.3f", share))%\(place))."
    }
}
