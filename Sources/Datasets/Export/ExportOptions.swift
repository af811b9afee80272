import Foundation

/// The export formats of `understudy export --format`.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// A folder per episode: `episode.json`, `steps.jsonl` and the frames as PNG files.
    case jsonl
    /// Tar shards of samples `{episode}/{step:05d}` with a `.png` and a `.json` member.
    case webdataset
    /// A runnable pyautogui script per episode.
    case pyautogui
    /// A static page per episode showing each step's action on its observation.
    case html
    /// AgentNet/OpenCUA trajectories: `agentnet.jsonl` and `images/`.
    case agentnet
    /// OSWorld result folders: `{episode}/traj.jsonl` with a screenshot per step.
    case osworld
}

/// Which episodes are worth training on. Each rule has a documented default; an episode that
/// breaks one is left out, and the manifest counts it under the rule.
public struct QualityFilter: Sendable, Equatable {
    /// Fewer actions than this (not counting waits and the final `done`/`fail`) is too short to learn from.
    public var minActions = 2
    /// More than this share of steps typing a redacted value (`[EMAIL]` in place of what was
    /// typed) leaves too little of the real actions. Boxes filled in frames do not count: the
    /// rest of the screen is still there.
    public var maxRedactedShare = 0.5
    /// More than this share of the episode's time paused or in a gap means most of it is missing.
    public var maxInterruptedShare = 0.5
    /// Steps a reviewer judged bad, by session id and the step's `t_ns`: an episode holding
    /// one is left out whole (a trajectory with a wrong step teaches the wrong thing).
    public var rejectedSteps: [String: Set<UInt64>] = [:]

    public init() {}

    /// Why `episode` is left out, or nil when it passes.
    public func rejection(of episode: Episode) -> String? {
        if let rejected = rejectedSteps[episode.session.id], episode.steps.contains(where: { rejected.contains($0.startNs) }) {
            return "a reviewer judged a step bad"
        }
        if episode.actionCount < minActions { return "fewer than \(minActions) actions" }
        let steps = max(1, episode.steps.count - 1)  // the final done/fail is not an input
        if Double(episode.redactedSteps) / Double(steps) > maxRedactedShare {
            return "more than \(Int(maxRedactedShare * 100))% of steps typed a redacted value"
        }
        if episode.interruptedShare > maxInterruptedShare {
            return "more than \(Int(maxInterruptedShare * 100))% paused or in a gap"
        }
        return nil
    }
}

/// Everything that decides what an export holds.
public struct ExportOptions: Sendable {
    public var format: ExportFormat
    public var filter = QualityFilter()
    /// Only these episodes (all when nil).
    public var episodes: Set<String>?
    /// A WebDataset shard is closed before it would grow past this.
    public var shardSize: Int64 = 1 << 30
    /// zlib level of the PNG frames: 1 writes fastest, 9 smallest.
    public var pngLevel = 3

    public init(format: ExportFormat) {
        self.format = format
    }
}

/// Where an export's data came from, for its manifest: so that a later erasure can find every
/// export holding a person's sessions.
public struct Lineage: Sendable {
    /// A consent the contributor gave, to a policy the exported sessions ran under.
    public struct Consent: Sendable {
        public var policyHash: String
        public var name: String
        public var version: Int
        public var acceptedAt: Date

        public init(policyHash: String, name: String, version: Int, acceptedAt: Date) {
            self.policyHash = policyHash
            self.name = name
            self.version = version
            self.acceptedAt = acceptedAt
        }
    }

    /// The vault's id, or the collector's address for an export from it.
    public var vault: String
    /// The program and version that wrote the export.
    public var generator: String
    public var consents: [Consent]
    /// Each session's contributor, by pseudonym, when the sessions came from a collector.
    public var contributors: [String: String]

    public init(vault: String, generator: String, consents: [Consent], contributors: [String: String] = [:]) {
        self.vault = vault
        self.generator = generator
        self.consents = consents
        self.contributors = contributors
    }
}

/// Why an export or an episode lookup could not be done. Nothing is left half-written.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case noSessions
    case noEpisodes(String)
    case unknownEpisode(String)
    case outputNotEmpty(String)
    case cannotWrite(String, String)
    case frameUnreadable(String, String)

    public var description: String {
        switch self {
        case .noSessions: "the vault holds no recorded session yet (record one with `understudy record`)"
        case .noEpisodes(let why): "no episode to export: \(why)"
        case .unknownEpisode(let id): "no episode \(id) in the vault (`understudy episodes` lists them)"
        case .outputNotEmpty(let path): "\(path) exists and is not empty: give a new or empty folder (nothing was written)"
        case .cannotWrite(let path, let reason): "cannot write to \(path): \(reason) (nothing was written)"
        case .frameUnreadable(let frame, let reason): "frame \(frame) cannot be read: \(reason)"
        }
    }
}
