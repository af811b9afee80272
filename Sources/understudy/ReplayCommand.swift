import ArgumentParser
import Capture
import Datasets
import Device
import Foundation
import UnderstudyModel
import Vault

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Perform an episode's actions on an X display through XTest, and compare the screen it ends on with the recorded one.",
        discussion: """
            Start the display with the same applications, in the same places, as when the episode began. \
            Replay keeps the recorded pauses between steps (divided by --speed). Afterwards it waits --settle, \
            then counts the pixels that differ from the episode's final frame, with the boxes redaction \
            filled in that frame filled on the live screen too.
            """
    )

    @OptionGroup var vaultOptions: VaultOptions

    @Option(help: ArgumentHelp("The episode, as `understudy episodes` lists it.", valueName: "id"))
    var episode: String

    @Option(help: ArgumentHelp("The X display to replay on.", discussion: "Defaults to $DISPLAY.", valueName: "display"))
    var display: String?

    @Option(help: ArgumentHelp("2 replays twice as fast as recorded.", valueName: "x"))
    var speed = 1.0

    @Option(help: ArgumentHelp("How long to let the screen settle before comparing.", valueName: "duration"))
    var settle = DurationArgument(argument: "1s")!

    @Option(help: ArgumentHelp("Also write the screen replay ended on as a PNG (PPM when it ends in .ppm).", valueName: "file"))
    var screenshot: String?

    @OptionGroup var segmentation: SegmentationOptions

    @Flag(help: "Print the outcome as one JSON object.")
    var json = false

    func validate() throws {
        guard speed > 0, speed.isFinite else { throw ValidationError("--speed must be a positive number") }
    }

    func run() throws {
        let vault = try vaultOptions.open()
        guard let episode = try segmentation.episodes(in: vault).first(where: { $0.id == self.episode }) else {
            throw DatasetError.unknownEpisode(self.episode)
        }
        var settings = ReplayPlan.Settings()
        settings.speed = speed
        let inputs = try ReplayPlan(settings: settings).inputs(for: episode.steps)
        let before = try ScreenSnapshot.take(display: display)
        guard before.width == episode.screen.width, before.height == episode.screen.height else {
            throw CommandFailure(
                "the display is \(before.width)x\(before.height) but episode \(episode.id) was recorded on \(episode.screen.width)x\(episode.screen.height)"
            )
        }
        if !json { print("Replaying \(episode.steps.count) steps of episode \(episode.id) (\(inputs.count) inputs) on \(display ?? "$DISPLAY")…") }
        let started = ContinuousClock.now
        try XTestInjector(display: display).perform(inputs)
        let seconds = (ContinuousClock.now - started).seconds
        Thread.sleep(forTimeInterval: Double(settle.duration.ns) / 1e9)
        var after = try ScreenSnapshot.take(display: display)
        let comparison = try episode.finalFrame.map { try compare(&after.pixels, with: $0, of: episode, vault: vault) }
        if let screenshot { try ImageFile.write(after.pixels, width: after.width, height: after.height, to: screenshot) }
        report(episode, inputs: inputs.count, seconds: seconds, comparison: comparison, pixels: after.width * after.height)
    }

    struct Comparison {
        var frame: String
        var differing: Int
        /// The smallest rectangle holding every differing pixel: x, y, w, h.
        var box: [Int]?
    }

    /// Counts pixels of the live screen that differ from the recorded frame (colour only),
    /// after filling the frame's redaction boxes on the live screen as they were filled in it.
    private func compare(_ live: inout [UInt8], with frame: String, of episode: Episode, vault: Vault) throws -> Comparison {
        let source = VaultRecordingSource(vault: vault)
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
        return Comparison(frame: frame, differing: differing, box: differing > 0 ? [minX, minY, maxX - minX + 1, maxY - minY + 1] : nil)
    }

    private func report(_ episode: Episode, inputs: Int, seconds: Double, comparison: Comparison?, pixels: Int) {
        if json {
            print(
                JSONValue.object([
                    ("episode", .string(episode.id)), ("steps", .int(Int64(episode.steps.count))), ("inputs", .int(Int64(inputs))),
                    ("seconds", .double((seconds * 1000).rounded() / 1000)), ("final_frame", comparison.map { .string($0.frame) } ?? .null),
                    ("pixels", .int(Int64(pixels))), ("differing_pixels", comparison.map { .int(Int64($0.differing)) } ?? .null),
                    ("differing_box", comparison?.box.map { .array($0.map { .int(Int64($0)) }) } ?? .null),
                ]).serialized)
            return
        }
        print("Replayed in \(String(format: "%.1f", seconds)) s.")
        guard let comparison else {
            print("The episode has no final frame to compare with.")
            return
        }
        let share = Double(comparison.differing) / Double(max(1, pixels)) * 100
        let place = comparison.box.map { ", all within \($0[2])x\($0[3]) at (\($0[0]), \($0[1]))" } ?? ""
        print(
            "Final screen: \(comparison.differing) of \(pixels) pixels differ from the recorded final frame \(comparison.frame) (\(String(format: "%.3f", share))%\(place))."
        )
    }
}
