import ArgumentParser
import Datasets
import Device
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
    @Flag(help: "Print one JSON object per episode.") var json = false

    func run() throws {
        let episodes = try vaultOptions.open().episodes(builder: segmentation.builder).map { EpisodeListing($0) }
        var output = BufferedOutput()
        if episodes.isEmpty, !json { output.write("The vault holds no episode yet: its sessions have no actions.") }
        for episode in episodes { output.write(json ? try ReportCoding.line(episode) : episode.text) }
        output.flush()
    }
}
