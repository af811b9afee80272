import ArgumentParser
import Device

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
    @Option(help: ArgumentHelp("The episode, as `understudy episodes` lists it.", valueName: "id")) var episode: String
    @Option(help: ArgumentHelp("The X display to replay on.", discussion: "Defaults to $DISPLAY.", valueName: "display")) var display: String?
    @Option(help: ArgumentHelp("2 replays twice as fast as recorded.", valueName: "x")) var speed = 1.0
    @Option(help: ArgumentHelp("How long to let the screen settle before comparing.", valueName: "duration"))
    var settle = DurationArgument(argument: "1s")!
    @Option(help: ArgumentHelp("Also write the screen replay ended on as a PNG (PPM when it ends in .ppm).", valueName: "file"))
    var screenshot: String?
    @OptionGroup var segmentation: SegmentationOptions
    @Flag(help: "Print the outcome as one JSON object.") var json = false

    func validate() throws {
        guard speed > 0, speed.isFinite else { throw ValidationError("--speed must be a positive number") }
    }

    func run() throws {
        let vault = try vaultOptions.open()
        let episode = try EpisodeReplay.episode(self.episode, in: vault, builder: segmentation.builder)
        let replay = EpisodeReplay(
            episode: episode, vault: vault.directory, display: display, speed: speed, settle: settle.duration, screenshot: screenshot)
        let inputs = try replay.inputs()
        if !json { print("Replaying \(episode.steps.count) steps of episode \(episode.id) (\(inputs.count) inputs) on \(display ?? "$DISPLAY")…") }
        let outcome = try replay.run(inputs)
        if json { try printJSON(outcome) } else { print(outcome.text) }
    }
}
