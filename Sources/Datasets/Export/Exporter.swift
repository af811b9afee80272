import Foundation
import UnderstudyModel

/// How far an export has got, for a progress bar.
public struct ExportProgress: Sendable {
    public var steps: Int
    public var totalSteps: Int
    public var bytes: Int64
}

/// What an export wrote.
public struct ExportSummary: Sendable {
    public var episodesFound: Int
    public var episodes: Int
    /// Episodes left out, by the rule they broke.
    public var dropped: [String: Int]
    public var steps: Int
    /// Steps left out of WebDataset shards because they have no observation.
    public var stepsWithoutObservation: Int
    /// Distinct frames encoded as PNG.
    public var frames: Int
    public var bytes: Int64
    public var files: [String]
    /// The ids of the sessions its episodes came from.
    public var sessions: [String] = []
    /// `manifest.json` without the episodes' instructions: what the organisation's collector
    /// keeps of an export made from it. An instruction is the recording's own text, which stays
    /// in the export, where an erasure reaches it.
    public var manifestWithoutInstructions = ""
}

/// Builds the vault's episodes, applies the quality filters and writes one format with its
/// manifest (`manifest.json`), into a folder that appears only when the export is complete.
public struct Exporter {
    public var options: ExportOptions
    public var builder: EpisodeBuilder

    public init(options: ExportOptions, builder: EpisodeBuilder = EpisodeBuilder()) {
        self.options = options
        self.builder = builder
    }

    /// Every episode of every session, in time order.
    public static func episodes(from source: some RecordingSource, builder: EpisodeBuilder) throws -> [Episode] {
        let sessions = try source.sessions()
        guard !sessions.isEmpty else { throw DatasetError.noSessions }
        return try sessions.flatMap { session in
            try builder.episodes(of: session, events: try source.events(of: session)) { try source.frame($0, of: session) }
        }
    }

    public func run(
        source: some RecordingSource, to out: URL, lineage: Lineage,
        progress: (ExportProgress) -> Void = { _ in }
    ) throws -> ExportSummary {
        let found = try Self.episodes(from: source, builder: builder)
        if let wanted = options.episodes, let unknown = wanted.sorted().first(where: { id in !found.contains { $0.id == id } }) {
            throw DatasetError.unknownEpisode(unknown)
        }
        var kept: [Episode] = []
        var dropped: [String: Int] = [:]
        for episode in found where options.episodes?.contains(episode.id) ?? true {
            if let reason = options.filter.rejection(of: episode) { dropped[reason, default: 0] += 1 } else { kept.append(episode) }
        }
        guard !kept.isEmpty else {
            throw DatasetError.noEpisodes(
                found.isEmpty
                    ? "the sessions hold no actions"
                    : "all \(found.count) episode(s) were left out by the quality filters (\(dropped.keys.sorted().joined(separator: "; ")))")
        }

        let folder = try OutputFolder(out)
        do {
            let frames = FramePNGs(source: source, level: options.pngLevel)
            var writer = makeWriter(created: WallClock.system.now())
            let total = kept.reduce(0) { $0 + $1.steps.count }
            var done = 0
            for episode in kept {
                try writer.write(episode, frames: frames, into: folder) {
                    done += 1
                    progress(ExportProgress(steps: done, totalSteps: total, bytes: folder.bytes))
                }
            }
            var summary = ExportSummary(
                episodesFound: found.count, episodes: kept.count, dropped: dropped, steps: total,
                stepsWithoutObservation: writer.skippedSteps, frames: frames.encoded, bytes: 0,
                files: try writer.finish(into: folder))
            summary.steps -= writer.skippedSteps
            let manifest = ExportManifest(options: options, settings: builder.settings, lineage: lineage, episodes: kept, summary: summary)
            try folder.write(Data((manifest.json(instructions: true).serializedPretty + "\n").utf8), to: "manifest.json")
            summary.manifestWithoutInstructions = manifest.json(instructions: false).serializedPretty
            summary.sessions = manifest.sessions.map(\.id)
            summary.bytes = folder.bytes
            try folder.commit()
            return summary
        } catch {
            folder.discard()
            throw error
        }
    }

    private func makeWriter(created: Date) -> any EpisodeWriter {
        switch options.format {
        case .jsonl: JSONLWriter()
        case .webdataset: WebDatasetWriter(shardSize: options.shardSize, created: created)
        case .agentnet: AgentNetWriter()
        case .osworld: OSWorldWriter()
        case .pyautogui: PyautoguiWriter()
        case .html: HTMLWriter()
        }
    }
}

/// One export format: episodes in, files out.
protocol EpisodeWriter {
    /// Steps not written (WebDataset leaves out steps without an observation).
    var skippedSteps: Int { get }
    /// Writes one episode; `stepWritten` is called once per step.
    mutating func write(_ episode: Episode, frames: FramePNGs, into folder: OutputFolder, stepWritten: () -> Void) throws
    /// Finishes and returns the top-level files and folders written.
    mutating func finish(into folder: OutputFolder) throws -> [String]
}

extension EpisodeWriter {
    var skippedSteps: Int { 0 }
}

/// Stored frames as PNG, each encoded once: consecutive steps often share a frame.
final class FramePNGs {
    private let source: any RecordingSource
    private let level: Int
    private var recent: [(key: String, png: Data)] = []
    private var seen: Set<String> = []
    private(set) var encoded = 0

    init(source: any RecordingSource, level: Int) {
        self.source = source
        self.level = level
    }

    func png(_ hash: String, of session: Session) throws -> Data {
        let key = session.id + "/" + hash
        if let hit = recent.first(where: { $0.key == key }) { return hit.png }
        let png: Data
        do { png = try source.png(hash, of: session) } catch let error as DatasetError { throw error } catch {
            throw DatasetError.frameUnreadable(hash, "\(error)")
        }
        if seen.insert(key).inserted { encoded += 1 }
        recent.append((key, png))
        if recent.count > 16 { recent.removeFirst() }
        return png
    }
}

/// `{episode}/episode.json`, `{episode}/steps.jsonl` and `{episode}/frames/{hash}.png`.
struct JSONLWriter: EpisodeWriter {
    private var written: [String] = []

    mutating func write(_ episode: Episode, frames: FramePNGs, into folder: OutputFolder, stepWritten: () -> Void) throws {
        try folder.makeFolder("\(episode.id)/frames")
        var stored: Set<String> = []
        func file(_ hash: String) throws -> String {
            if stored.insert(hash).inserted { try folder.write(try frames.png(hash, of: episode.session), to: "\(episode.id)/frames/\(hash).png") }
            return "frames/\(hash).png"
        }
        var lines = ""
        for step in episode.steps {
            let observation = try step.observationFrame.map(file)
            lines += step.json(in: episode, observationFile: observation).serialized + "\n"
            stepWritten()
        }
        if let final = episode.finalFrame { _ = try file(final) }
        try folder.write(Data(lines.utf8), to: "\(episode.id)/steps.jsonl")
        try folder.write(Data((episode.json { "frames/\($0).png" }.serializedPretty + "\n").utf8), to: "\(episode.id)/episode.json")
        written.append(episode.id)
    }

    mutating func finish(into folder: OutputFolder) throws -> [String] { written }
}

/// `shard-000000.tar`, …: samples keyed `{episode}/{step:05d}` with `.png` and `.json`
/// and `.a11y.json` members (the observation frame's accessibility snapshot, `available: false`
/// when it has none); a shard is closed before it passes the size limit.
struct WebDatasetWriter: EpisodeWriter {
    let shardSize: Int64
    let created: Date
    private var shard: TarWriter?
    private var shards: [String] = []
    private(set) var skippedSteps = 0

    init(shardSize: Int64, created: Date) {
        self.shardSize = shardSize
        self.created = created
    }

    mutating func write(_ episode: Episode, frames: FramePNGs, into folder: OutputFolder, stepWritten: () -> Void) throws {
        for step in episode.steps {
            defer { stepWritten() }
            guard case .success(let seen) = step.observation else {
                skippedSteps += 1
                continue
            }
            let key = "\(episode.id)/\(String(format: "%05d", step.index))"
            let png = try frames.png(seen.frame, of: episode.session)
            let json = Data(step.sampleJSON(in: episode, key: key, frame: seen.frame, ageNs: seen.ageNs).serialized.utf8)
            let a11y = Data(step.accessibilitySampleJSON.serialized.utf8)
            let sample = TarWriter.footprint(png.count) + TarWriter.footprint(json.count) + TarWriter.footprint(a11y.count)
            if let current = shard, current.size > 0, current.size + sample + 1024 > shardSize { try close(folder) }
            if shard == nil {
                let name = String(format: "shard-%06d.tar", shards.count)
                shard = try TarWriter(creating: folder.url(name), mtime: created)
                shards.append(name)
            }
            try shard!.add("\(key).png", png)
            try shard!.add("\(key).json", json)
            try shard!.add("\(key).a11y.json", a11y)
        }
    }

    mutating func finish(into folder: OutputFolder) throws -> [String] {
        try close(folder)
        return shards
    }

    private mutating func close(_ folder: OutputFolder) throws {
        guard let current = shard else { return }
        try current.finish()
        folder.counted(current.size)
        shard = nil
    }
}
