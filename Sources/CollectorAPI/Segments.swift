import Foundation

// Segments: uploads, a contributor's own segments, erasure.

/// The answer to `PUT /v1/segments/{id}`: stored now (201) or before (200).
public struct SegmentAcknowledged: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case stored
        case alreadyStored = "already_stored"
    }

    public var segment: String
    public var status: Status
    public var sha256: String
    public init(segment: String, status: Status, sha256: String) {
        self.segment = segment
        self.status = status
        self.sha256 = sha256
    }
}

/// One of the contributor's segments in `GET /v1/me/segments`.
public struct SegmentListing: Codable, Sendable, Equatable {
    public var id: String
    public var sha256: String
    public var bytes: Int64
    public var policyHash: String
    public var receivedAt: Date
    public var device: String
    public init(id: String, sha256: String, bytes: Int64, policyHash: String, receivedAt: Date, device: String) {
        self.id = id
        self.sha256 = sha256
        self.bytes = bytes
        self.policyHash = policyHash
        self.receivedAt = receivedAt
        self.device = device
    }
}

/// The answer to `DELETE /v1/me` and `POST /v1/contributors/{id}/erase`.
/// The answer to `DELETE /v1/me/segments/{id}`: the segment is gone from the collector.
public struct SegmentDeleted: Codable, Sendable, Equatable {
    public var segment: String
    public var deleted: Bool
    public init(segment: String, deleted: Bool) {
        self.segment = segment
        self.deleted = deleted
    }
}

public struct ContributorErased: Codable, Sendable, Equatable {
    public var contributor: String
    public var erased: Bool
    /// How many segments were deleted.
    public var segments: Int
    public init(contributor: String, erased: Bool, segments: Int) {
        self.contributor = contributor
        self.erased = erased
        self.segments = segments
    }
}
