import ArgumentParser
import Datasets
import Device
import Foundation
import Sync

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Write the vault's episodes as training data: JSON lines, WebDataset shards, AgentNet or OSWorld trajectories, pyautogui scripts, or pages to look through.",
        discussion: """
            jsonl: a folder per episode with episode.json, steps.jsonl and the frames as PNG.
            webdataset: shard-000000.tar, … with samples {episode}/{step:05d}.png and .json; they load with \
            the webdataset package and with Hugging Face datasets (load_dataset("webdataset", data_files=...)).
            agentnet: agentnet.jsonl, a trajectory per line as OpenCUA's AgentNet has them (pyautogui code \
            with coordinates as fractions of the screen), and images/.
            osworld: a folder per episode with traj.jsonl and a screenshot after each step, as OSWorld's runner writes them.
            pyautogui: a runnable script per episode.
            html: index.html and a page per episode showing each step's action on the screen it was decided on.

            Every export has a manifest.json naming its episodes, sessions, policies, consents, filters and \
            counts. The folder appears only once the export is complete; an existing folder must be empty.

            With --server, a scientist exports from the organisation's collector instead of the vault: every \
            segment it holds, contributors named by pseudonym in the manifest, and episodes holding a step \
            a reviewer judged bad left out. Every segment exported is in the audit log.
            """
    )

    @OptionGroup var vaultOptions: VaultOptions
    @Option(help: ArgumentHelp("Export from this collector instead of the vault (signing in with --user and --key-file).", valueName: "url"))
    var server: String?
    @Option(help: ArgumentHelp("With --server: the scientist signing in.", valueName: "name")) var user: String?
    @Option(
        help: ArgumentHelp("With --server: the file holding their key.", discussion: "Defaults to $UNDERSTUDY_STAFF_KEY_FILE.", valueName: "file"))
    var keyFile: String?
    @Option(help: ArgumentHelp("jsonl, webdataset, agentnet, osworld, pyautogui or html.", valueName: "format")) var format: ExportFormat
    @Option(help: ArgumentHelp("The folder to write (new, or empty).", valueName: "dir")) var out: String
    @Option(name: .customLong("episode"), help: ArgumentHelp("Export only this episode (repeatable).", valueName: "id")) var episodes: [String] = []
    @Option(help: ArgumentHelp("Leave out episodes with fewer actions than this (waits and done not counted).", valueName: "n"))
    var minActions = QualityFilter().minActions
    @Option(help: ArgumentHelp("Leave out episodes in which more than this share of steps hold a redacted value.", valueName: "share"))
    var maxRedactedShare = QualityFilter().maxRedactedShare
    @Option(help: ArgumentHelp("Leave out episodes paused or in a gap for more than this share of their time.", valueName: "share"))
    var maxInterruptedShare = QualityFilter().maxInterruptedShare
    @Option(help: ArgumentHelp("Start a new WebDataset shard before one passes this size.", valueName: "size"))
    var shardSize = ByteSizeArgument(argument: "1GB")!
    @OptionGroup var segmentation: SegmentationOptions
    @Flag(help: "Print what was written as one JSON object.") var json = false

    func validate() throws {
        guard (0...1).contains(maxRedactedShare), (0...1).contains(maxInterruptedShare) else {
            throw ValidationError("--max-redacted-share and --max-interrupted-share are shares between 0 and 1")
        }
        guard shardSize.bytes >= 1 << 20 else { throw ValidationError("--shard-size must be at least 1MiB") }
        guard server != nil || (user == nil && keyFile == nil) else { throw ValidationError("--user and --key-file go with --server") }
        guard server == nil || user != nil else { throw ValidationError("--server needs --user: the scientist signing in") }
        guard server == nil || vaultOptions.vault == nil else { throw ValidationError("give --vault or --server, not both") }
    }

    func run() async throws {
        var options = ExportOptions(format: format)
        (options.filter.minActions, options.filter.maxRedactedShare) = (minActions, maxRedactedShare)
        (options.filter.maxInterruptedShare, options.shardSize) = (maxInterruptedShare, shardSize.bytes)
        options.episodes = episodes.isEmpty ? nil : Set(episodes)
        let origin: ExportJob.Origin =
            server.map { .collector(StaffSignIn(server: $0, user: user ?? "", keyFile: keyFile)) } ?? .vault(vaultOptions.directory)
        let job = ExportJob(
            origin: origin, options: options, builder: segmentation.builder, folder: URL(fileURLWithPath: out),
            generator: "understudy \(Understudy.configuration.version)")
        let report = try await job.run()
        if json { try printJSON(report) } else { print(report.text) }
    }
}
