import Foundation

// Exemption requests: a contributor asks, the privacy officer decides.

/// `POST /v1/exemption-requests` (device); repeating an id is harmless.
public struct ExemptionRequestBody: Codable, Sendable, Equatable {
    public var id: String
    /// `app`, `site`, `title` or `all`.
    public var kind: String
    public var value: String
    public var reason: String?
    public var requestedAt: Date
    /// A period's start (at once when nil).
    public var from: Date?
    /// A period's end; required for `all`.
    public var until: Date?
    public init(id: String, kind: String, value: String, reason: String?, requestedAt: Date, from: Date?, until: Date?) {
        self.id = id
        self.kind = kind
        self.value = value
        self.reason = reason
        self.requestedAt = requestedAt
        self.from = from
        self.until = until
    }
}

/// The answer to filing or deciding a request.
public struct ExemptionStatus: Codable, Sendable, Equatable {
    public var id: String
    /// `pending`, `approved` or `denied`.
    public var status: String
    public init(id: String, status: String) {
        self.id = id
        self.status = status
    }
}

/// `POST /v1/exemption-requests/{contributor}/{id}/decision` (privacy officer).
public struct ExemptionDecisionRequest: Codable, Sendable, Equatable {
    public var approve: Bool
    public var note: String?
    public init(approve: Bool, note: String?) {
        self.approve = approve
        self.note = note
    }
}

/// A request and its decision, in `GET /v1/exemption-requests` and `GET /v1/me/exemptions`.
public struct ExemptionListing: Codable, Sendable, Equatable {
    public var contributor: String
    public var id: String
    public var kind: String
    public var value: String
    public var reason: String
    public var requestedAt: Date
    /// `pending`, `approved` or `denied`.
    public var status: String
    public var decidedAt: Date?
    public var decidedBy: String?
    public var note: String?
    public var from: Date?
    public var until: Date?
    public init(
        contributor: String, id: String, kind: String, value: String, reason: String, requestedAt: Date, status: String,
        decidedAt: Date?, decidedBy: String?, note: String?, from: Date?, until: Date?
    ) {
        self.contributor = contributor
        self.id = id
        self.kind = kind
        self.value = value
        self.reason = reason
        self.requestedAt = requestedAt
        self.status = status
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
        self.note = note
        self.from = from
        self.until = until
    }

    // Nulls are written, not left out: every field is always there.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(contributor, forKey: .contributor)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(value, forKey: .value)
        try c.encode(reason, forKey: .reason)
        try c.encode(requestedAt, forKey: .requestedAt)
        try c.encode(status, forKey: .status)
        try c.encode(decidedAt, forKey: .decidedAt)
        try c.encode(decidedBy, forKey: .decidedBy)
        try c.encode(note, forKey: .note)
        try c.encode(from, forKey: .from)
        try c.encode(until, forKey: .until)
    }
}
