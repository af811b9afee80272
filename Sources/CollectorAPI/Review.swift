import Foundation

// Reviewers and scientists: segments under pseudonyms, verdicts, erasures.

/// A held segment in `GET /v1/review/segments` (reviewer): its contributor by pseudonym only.
public struct ReviewListing: Codable, Sendable, Equatable {
    /// The segment's handle (`s-…`), never its id.
    public var id: String
    /// The contributor's pseudonym (`p-…`), never their id.
    public var contributor: String
    /// The size rounded up to a power of two (64 KiB at least): never the exact figure.
    public var bytes: Int64
    public var stepsJudged: Int
    public var stepsBad: Int
    public init(id: String, contributor: String, bytes: Int64, stepsJudged: Int, stepsBad: Int) {
        self.id = id
        self.contributor = contributor
        self.bytes = bytes
        self.stepsJudged = stepsJudged
        self.stepsBad = stepsBad
    }
}

/// `POST /v1/review/segments/{id}/verdicts` (reviewer).
public struct VerdictsRequest: Codable, Sendable, Equatable {
    public struct Verdict: Codable, Sendable, Equatable {
        /// The step's `t_ns`.
        public var step: Int64
        /// `good` or `bad`.
        public var verdict: String
        public var reason: String?
        public init(step: Int64, verdict: String, reason: String?) {
            self.step = step
            self.verdict = verdict
            self.reason = reason
        }
    }

    public var verdicts: [Verdict]
    public init(verdicts: [Verdict]) { self.verdicts = verdicts }
}

/// The answer to `POST /v1/review/segments/{id}/verdicts`.
public struct VerdictsRecorded: Codable, Sendable, Equatable {
    public var segment: String
    public var recorded: Int
    public init(segment: String, recorded: Int) {
        self.segment = segment
        self.recorded = recorded
    }
}

/// A held segment in `GET /v1/dataset/segments` (scientist).
public struct DatasetListing: Codable, Sendable, Equatable {
    /// The segment's handle (`s-…`).
    public var id: String
    /// The contributor's pseudonym (`p-…`).
    public var contributor: String
    /// The size rounded up to a power of two (64 KiB at least): never the exact figure.
    public var bytes: Int64
    public var policyHash: String
    /// The `t_ns` of each step a reviewer judged bad.
    public var rejectedSteps: [Int64]
    public init(id: String, contributor: String, bytes: Int64, policyHash: String, rejectedSteps: [Int64]) {
        self.id = id
        self.contributor = contributor
        self.bytes = bytes
        self.policyHash = policyHash
        self.rejectedSteps = rejectedSteps
    }
}

/// An erased contributor in `GET /v1/dataset/erasures`: their pseudonym and the day only.
public struct ErasureListing: Codable, Sendable, Equatable {
    public var contributor: String
    /// `YYYY-MM-DD`, UTC.
    public var erasedOn: String
    public init(contributor: String, erasedOn: String) {
        self.contributor = contributor
        self.erasedOn = erasedOn
    }
}

/// A session in a registered export, under its contributor's pseudonym.
public struct ExportedSession: Codable, Sendable, Equatable {
    public var id: String
    /// The pseudonym (`p-…`) the dataset listing gave its contributor.
    public var contributor: String
    public init(id: String, contributor: String) {
        self.id = id
        self.contributor = contributor
    }
}

/// `POST /v1/dataset/exports` (scientist): what `understudy export --server` made, sent when it
/// has written the export, so the collector knows which exports an erasure reaches and staff
/// can read each one's manifest.
public struct DatasetExportRegistration: Codable, Sendable, Equatable {
    /// `jsonl`, `hf`, `html`, as the manifest names it.
    public var format: String
    public var episodes: Int
    public var steps: Int
    public var frames: Int
    /// The handles (`s-…`) of the held segments it was built from.
    public var segments: [String]
    public var sessions: [ExportedSession]
    /// The export's `manifest.json`, as written.
    public var manifest: String

    /// The largest manifest the collector keeps (a day of a team's exports is far below it).
    public static let maxManifestBytes = 4 << 20

    public init(format: String, episodes: Int, steps: Int, frames: Int, segments: [String], sessions: [ExportedSession], manifest: String) {
        (self.format, self.episodes, self.steps, self.frames) = (format, episodes, steps, frames)
        (self.segments, self.sessions, self.manifest) = (segments, sessions, manifest)
    }
}

/// A registered export in `GET /v1/dataset/exports`, and the answer to registering one.
public struct DatasetExportListing: Codable, Sendable, Equatable {
    /// `x-…`, the collector's name for it.
    public var id: String
    /// The scientist who made it.
    public var scientist: String
    public var registeredAt: Date
    public var format: String
    public var episodes: Int
    public var steps: Int
    public var frames: Int
    public var segments: [String]
    public var sessions: [ExportedSession]

    public init(
        id: String, scientist: String, registeredAt: Date, format: String, episodes: Int, steps: Int, frames: Int, segments: [String],
        sessions: [ExportedSession]
    ) {
        (self.id, self.scientist, self.registeredAt, self.format) = (id, scientist, registeredAt, format)
        (self.episodes, self.steps, self.frames, self.segments, self.sessions) = (episodes, steps, frames, segments, sessions)
    }

    /// The pseudonyms of the contributors whose sessions it holds.
    public var contributors: Set<String> { Set(sessions.map(\.contributor)) }

    /// The ids of `contributor`'s sessions in it.
    public func sessions(of contributor: String) -> [String] { sessions.filter { $0.contributor == contributor }.map(\.id) }
}

/// `GET /v1/dataset/exports/{id}`: one export, with its manifest.
public struct DatasetExport: Codable, Sendable, Equatable {
    public var export: DatasetExportListing
    public var manifest: String
    public init(export: DatasetExportListing, manifest: String) {
        self.export = export
        self.manifest = manifest
    }
}
