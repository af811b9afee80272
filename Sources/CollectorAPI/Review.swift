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
