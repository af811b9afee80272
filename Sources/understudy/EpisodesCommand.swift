import ArgumentParser
import Datasets
import Device
import Foundation
import UnderstudyModel
import Vault

/// How sessions are cut into episodes where no task markers say; `episodes`, `export` and
/// `replay` share it, so an episode id means the same in all three.
struct SegmentationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Without task markers, input stopping this long starts a new episode.", valueName: "duration"))
    var idleGap = DurationArgument(argument: "5m")!

    @Option(help: ArgumentHelp("…and so does switching to another app after this long without input.", valueName: "duration"))
    var switchPause = DurationArgument(argument: "60s")!

    var builder: EpisodeBuilder {
        var settings = EpisodeBuilder.Settings()
        settings.segmentation.idleGap = idleGap.duration
        settings.segmentation.switchPause = switchPause.duration
        return EpisodeBuilder(settings: settings)
    }

    /// The vault's episodes, in time order.
    func episodes(in vault: Vault) throws -> [Episode] {
        try Exporter.episodes(from: VaultRecordingSource(vault: vault), builder: builder)
    }
}

struct EpisodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "episodes",
        abstract: "List the episodes in the vault: each marked task, or each stretch of work found between idle gaps.",
        discussion: """
            A task marked with `understudy task start` / `task end` is one episode with its instruction. \
            Elsewhere a new episode begins after --idle-gap without input, or on a switch to another app \
            after --switch-pause without input. The last column says when the export's default quality \
            filters would leave an episode out.
            """
    )

    @OptionGroup var vaultOptions: VaultOptions
    @OptionGroup var segmentation: SegmentationOptions

    @Flag(help: "Print one JSON object per episode.")
    var json = false

    func run() throws {
        let episodes = try segmentation.episodes(in: try vaultOptions.open())
        let filter = QualityFilter()
        var output = BufferedOutput()
        if episodes.isEmpty, !json { output.write("The vault holds no episode yet: its sessions have no actions.") }
        for e in episodes {
            let verdict = filter.rejection(of: e)
            if json {
                output.write(
                    JSONValue.object([
                        ("id", .string(e.id)), ("session", .string(e.session.id)), ("started", .string(RFC3339.string(from: e.startedAt))),
                        ("duration_s", .double(Double((e.endNs - e.startNs) / 10_000_000) / 100)),
                        ("instruction", e.instruction.map { .string($0) } ?? .null), ("outcome", .string(e.outcome.rawValue)),
                        ("steps", .int(Int64(e.steps.count))), ("actions", .int(Int64(e.actionCount))),
                        ("apps", .array(e.apps.map { .string($0) })), ("left_out_by_default", verdict.map { .string($0) } ?? .null),
                    ]).serialized)
            } else {
                let what = e.instruction.map { "\"\($0)\"" } ?? "(no instruction)"
                let duration = String(format: "%.1fs", Double(e.endNs - e.startNs) / 1e9)
                output.write(
                    "\(e.id)  \(RFC3339.string(from: e.startedAt))  \(duration)  \(e.steps.count) steps  \(e.outcome.rawValue)  \(what)  [\(e.apps.joined(separator: ", "))]"
                        + (verdict.map { "  (left out of exports: \($0))" } ?? ""))
            }
        }
        output.flush()
    }
}
