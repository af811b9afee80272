import ArgumentParser
import Datasets
import Device
import Foundation
import Privacy
import Sync
import UnderstudyModel
import Vault

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the vault's episodes as training data: JSON lines, WebDataset shards, pyautogui scripts, or pages to look through.",
        discussion: """
            jsonl: a folder per episode with episode.json, steps.jsonl and the frames as PNG.
            webdataset: shard-000000.tar, … with samples {episode}/{step:05d}.png and .json; they load with \
            the webdataset package and with Hugging Face datasets (load_dataset("webdataset", data_files=...)).
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

    @Option(help: ArgumentHelp("With --server: the scientist signing in.", valueName: "name"))
    var user: String?

    @Option(
        help: ArgumentHelp("With --server: the file holding their key.", discussion: "Defaults to $UNDERSTUDY_STAFF_KEY_FILE.", valueName: "file"))
    var keyFile: String?

    @Option(help: ArgumentHelp("jsonl, webdataset, pyautogui or html.", valueName: "format"))
    var format: ExportFormat

    @Option(help: ArgumentHelp("The folder to write (new, or empty).", valueName: "dir"))
    var out: String

    @Option(name: .customLong("episode"), help: ArgumentHelp("Export only this episode (repeatable).", valueName: "id"))
    var episodes: [String] = []

    @Option(help: ArgumentHelp("Leave out episodes with fewer actions than this (waits and done not counted).", valueName: "n"))
    var minActions = QualityFilter().minActions

    @Option(help: ArgumentHelp("Leave out episodes in which more than this share of steps hold a redacted value.", valueName: "share"))
    var maxRedactedShare = QualityFilter().maxRedactedShare

    @Option(help: ArgumentHelp("Leave out episodes paused or in a gap for more than this share of their time.", valueName: "share"))
    var maxInterruptedShare = QualityFilter().maxInterruptedShare

    @Option(help: ArgumentHelp("Start a new WebDataset shard before one passes this size.", valueName: "size"))
    var shardSize = ByteSizeArgument(argument: "1GB")!

    @OptionGroup var segmentation: SegmentationOptions

    @Flag(help: "Print what was written as one JSON object.")
    var json = false

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
        options.filter.minActions = minActions
        options.filter.maxRedactedShare = maxRedactedShare
        options.filter.maxInterruptedShare = maxInterruptedShare
        options.episodes = episodes.isEmpty ? nil : Set(episodes)
        options.shardSize = shardSize.bytes
        let started = ContinuousClock.now
        let summary: ExportSummary
        if let server, let user {
            summary = try await StaffOptions.signIn(server: server, user: user, keyFile: keyFile) { client, me in
                let downloads = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-export-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: downloads) }
                var progress = ProgressBar(label: "downloading")
                var dataset = try await CollectorDataset.fetch(
                    from: server, client: client, as: me, into: downloads,
                    generator: "understudy \(Understudy.configuration.version)"
                ) { done, total in
                    progress.update(done, of: total, bytes: 0)
                }
                progress.finish()
                dataset.source.pngLevel = options.pngLevel
                options.filter.rejectedSteps = dataset.rejectedSteps
                return try export(dataset.source, lineage: dataset.lineage, options: options)
            }
        } else {
            let vault = try vaultOptions.open()
            summary = try export(VaultRecordingSource(vault: vault, pngLevel: options.pngLevel), lineage: lineage(vault), options: options)
        }
        let seconds = (ContinuousClock.now - started).seconds
        if json {
            print(
                JSONValue.object([
                    ("out", .string(URL(fileURLWithPath: out).standardizedFileURL.path)), ("format", .string(format.rawValue)),
                    ("episodes", .int(Int64(summary.episodes))), ("episodes_found", .int(Int64(summary.episodesFound))),
                    ("steps", .int(Int64(summary.steps))), ("steps_without_observation", .int(Int64(summary.stepsWithoutObservation))),
                    ("frames", .int(Int64(summary.frames))), ("bytes", .int(summary.bytes)), ("seconds", .double((seconds * 1000).rounded() / 1000)),
                    ("dropped", .object(summary.dropped.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                    ("files", .array(summary.files.map { .string($0) })),
                ]).serialized)
            return
        }
        let left = summary.dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print(
            "Exported \(summary.episodes) of \(summary.episodesFound) episode(s), \(summary.steps) steps, \(summary.frames) frames, "
                + "\(ByteSizeText.string(summary.bytes)) as \(format.rawValue) in \(String(format: "%.1f", seconds)) s.")
        if !left.isEmpty { print("Left out: \(left).") }
        if summary.stepsWithoutObservation > 0 { print("\(summary.stepsWithoutObservation) step(s) without an observation are not in the shards.") }
        let index = format == .html ? "/index.html" : "/manifest.json"
        print("Wrote \(URL(fileURLWithPath: out).standardizedFileURL.path)\(index)")
    }

    private func export(_ source: some RecordingSource, lineage: Lineage, options: ExportOptions) throws -> ExportSummary {
        var bar = ProgressBar(label: "exporting")
        defer { bar.finish() }
        return try Exporter(options: options, builder: segmentation.builder)
            .run(source: source, to: URL(fileURLWithPath: out), lineage: lineage) { bar.update($0.steps, of: $0.totalSteps, bytes: $0.bytes) }
    }

    /// The vault and the contributor's consents, for the manifest.
    private func lineage(_ vault: Vault) -> Lineage {
        var consents: [Lineage.Consent] = []
        do {
            consents = try ConsentStore().load().accepted.map {
                Lineage.Consent(policyHash: $0.policyHash, name: $0.name, version: $0.version, acceptedAt: $0.acceptedAt)
            }
        } catch {
            warn("the consent records could not be read, so the manifest lists none: \(error)")
        }
        return Lineage(vault: vault.id, generator: "understudy \(Understudy.configuration.version)", consents: consents)
    }
}
