import CollectorAPI
import Datasets
import Foundation
import Privacy
import Sync
import UnderstudyModel
import Vault

/// One export: where the recordings come from, what is written, and where. `run()` is the
/// whole of `understudy export`.
public struct ExportJob: Sendable {
    /// Where the recordings come from.
    public enum Origin: Sendable {
        /// The contributor's own vault.
        case vault(URL)
        /// The organisation's collector, as a scientist signed in there.
        case collector(StaffSignIn)
    }

    public var origin: Origin
    public var options: ExportOptions
    public var builder: EpisodeBuilder
    public var folder: URL
    /// Names the program in the lineage: `understudy 0.1.0`.
    public var generator: String

    public init(origin: Origin, options: ExportOptions, builder: EpisodeBuilder, folder: URL, generator: String) {
        self.origin = origin
        self.options = options
        self.builder = builder
        self.folder = folder
        self.generator = generator
    }

    /// Writes the export, showing progress on a terminal.
    public func run() async throws -> ExportReport {
        let started = ContinuousClock.now
        let summary: ExportSummary
        switch origin {
        case .vault(let directory):
            let vault = try Vault(at: directory, create: false)
            summary = try export(VaultRecordingSource(vault: vault, pngLevel: options.pngLevel), lineage: lineage(vault), options: options)
        case .collector(let staff):
            summary = try await staff.session { client, me in
                let scratch = try ScratchFolder(in: ScratchFolder.temporaryParent, purpose: "export")
                defer { scratch.remove() }
                let downloads = scratch.url
                var progress = ProgressBar(label: "downloading")
                var dataset = try await CollectorDataset.fetch(from: staff.server, client: client, as: me, into: downloads, generator: generator) {
                    progress.update($0, of: $1, bytes: 0)
                }
                progress.finish()
                dataset.source.pngLevel = options.pngLevel
                var options = options
                options.filter.rejectedSteps = dataset.rejectedSteps
                let summary = try export(dataset.source, lineage: dataset.lineage, options: options)
                try await register(summary, of: dataset, client: client, as: me)
                return summary
            }
        }
        let seconds = ((ContinuousClock.now - started).seconds * 1000).rounded() / 1000
        return ExportReport(out: folder.standardizedFileURL.path, format: options.format, seconds: seconds, summary: summary)
    }

    private func export(_ source: some RecordingSource, lineage: Lineage, options: ExportOptions) throws -> ExportSummary {
        var bar = ProgressBar(label: "exporting")
        defer { bar.finish() }
        return try Exporter(options: options, builder: builder).run(source: source, to: folder, lineage: lineage) {
            bar.update($0.steps, of: $0.totalSteps, bytes: $0.bytes)
        }
    }

    /// Tells the collector what was exported from it. The export is written by then and stays:
    /// a collector that cannot take the registration is one clear error saying so, and the
    /// scientist registers nothing by hand (`admin erasures --check` reads the manifest itself).
    private func register(_ summary: ExportSummary, of dataset: CollectorDataset, client: CollectorClient, as me: CollectorClient.Identity)
        async throws
    {
        let sessions = summary.sessions.map { ExportedSession(id: $0, contributor: dataset.lineage.contributors[$0] ?? "") }
        let registration = DatasetExportRegistration(
            format: options.format.rawValue, episodes: summary.episodes, steps: summary.steps, frames: summary.frames,
            segments: summary.sessions.flatMap { dataset.segments[$0] ?? [] }, sessions: sessions, manifest: summary.manifestWithoutInstructions)
        do {
            _ = try await client.registerExport(registration, as: me)
        } catch {
            throw DeviceFailure("the export is written in \(folder.path), but the collector did not record it: \(error)")
        }
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
        return Lineage(vault: vault.id, generator: generator, consents: consents)
    }
}

/// What an export wrote. Encoded, it is `export --json`.
public struct ExportReport: Encodable, Sendable {
    public var out: String
    public var format: String
    public var episodes: Int
    public var episodesFound: Int
    public var steps: Int
    public var stepsWithoutObservation: Int
    public var frames: Int
    public var bytes: Int64
    public var seconds: Double
    /// Episodes left out, by the rule they broke.
    public var dropped: [String: Int]
    public var files: [String]

    init(out: String, format: ExportFormat, seconds: Double, summary s: ExportSummary) {
        (self.out, self.format, self.seconds) = (out, format.rawValue, seconds)
        (episodes, episodesFound, steps, stepsWithoutObservation) = (s.episodes, s.episodesFound, s.steps, s.stepsWithoutObservation)
        (frames, bytes, dropped, files) = (s.frames, s.bytes, s.dropped, s.files)
    }

    public var text: String {
        var lines = [
            "Exported \(episodes) of \(episodesFound) episode(s), \(steps) steps, \(frames) frames, "
                + "\(ByteSizeText.string(bytes)) as \(format) in \(String(format: "%.1f", seconds)) s."
        ]
        let left = dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        if !left.isEmpty { lines.append("Left out: \(left).") }
        if stepsWithoutObservation > 0 { lines.append("\(stepsWithoutObservation) step(s) without an observation are not in the shards.") }
        lines.append("Wrote \(out)\(format == ExportFormat.html.rawValue ? "/index.html" : "/manifest.json")")
        return lines.joined(separator: "\n")
    }
}
