import Foundation

// Staff: sign-in, users, enrolment codes, devices, the audit log, statistics.

/// `POST /v1/login`.
public struct LoginRequest: Codable, Sendable, Equatable {
    public var user: String
    public var key: String
    public init(user: String, key: String) {
        self.user = user
        self.key = key
    }
}

/// The answer to `POST /v1/login`: a session token for `Authorization: Bearer`.
public struct LoginResponse: Codable, Sendable, Equatable {
    public var token: String
    public var role: String
    public var expiresAt: Date
    public init(token: String, role: String, expiresAt: Date) {
        self.token = token
        self.role = role
        self.expiresAt = expiresAt
    }
}

/// `POST /v1/users` (admin).
public struct CreateUserRequest: Codable, Sendable, Equatable {
    public var name: String
    /// `admin`, `privacy_officer`, `reviewer` or `scientist`.
    public var role: String
    public init(name: String, role: String) {
        self.name = name
        self.role = role
    }
}

/// The answer to `POST /v1/users`: the new member's key, shown once.
public struct CreatedUser: Codable, Sendable, Equatable {
    public var name: String
    public var role: String
    public var key: String
    /// True for a role that reads contributors' data (a reviewer, a scientist, a second privacy
    /// officer): they sign in once a privacy officer approves them (`POST /v1/users/{name}/approve`).
    public var awaitingApproval: Bool
    public init(name: String, role: String, key: String, awaitingApproval: Bool) {
        self.name = name
        self.role = role
        self.key = key
        self.awaitingApproval = awaitingApproval
    }
}

/// A member of staff in `GET /v1/users` (admin, privacy officer).
public struct StaffUserListing: Codable, Sendable, Equatable {
    public var name: String
    public var role: String
    public var createdAt: Date
    public var awaitingApproval: Bool
    public init(name: String, role: String, createdAt: Date, awaitingApproval: Bool) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.awaitingApproval = awaitingApproval
    }
}

/// The answer to `POST /v1/users/{name}/key`: the user's new key, shown once; their sessions ended.
public struct NewUserKey: Codable, Sendable, Equatable {
    public var name: String
    public var key: String
    public init(name: String, key: String) {
        self.name = name
        self.key = key
    }
}

/// The answer to `DELETE /v1/users/{name}` (admin): the user is gone, their sessions ended.
public struct UserRemoved: Codable, Sendable, Equatable {
    public var name: String
    public var removed: Bool
    public init(name: String, removed: Bool) {
        self.name = name
        self.removed = removed
    }
}

/// The answer to `POST /v1/logout`: the session's token no longer signs anything.
public struct SignedOut: Codable, Sendable, Equatable {
    public var signedOut: Bool
    public init(signedOut: Bool) { self.signedOut = signedOut }
}

/// The answer to `POST /v1/users/{name}/approve` (a privacy officer): the user can sign in.
public struct UserApproved: Codable, Sendable, Equatable {
    public var name: String
    public var role: String
    public init(name: String, role: String) {
        self.name = name
        self.role = role
    }
}

/// `POST /v1/enrolment-codes` (admin).
public struct EnrolmentCodeRequest: Codable, Sendable, Equatable {
    public var contributor: String
    /// The contributor's name and address as the organisation knows them: the device they
    /// enrol redacts them; the collector forgets them once the code is redeemed.
    public var identity: ContributorIdentity?
    public init(contributor: String, identity: ContributorIdentity? = nil) {
        self.contributor = contributor
        self.identity = identity
    }
}

/// What the organisation supplies at enrolment that names the contributor (`displayName`,
/// `email`), for their device's redaction of their own identifiers.
public struct ContributorIdentity: Codable, Sendable, Equatable {
    public var displayName: String?
    public var email: String?
    public init(displayName: String? = nil, email: String? = nil) {
        self.displayName = displayName
        self.email = email
    }
}

/// A one-time enrolment code, shown once.
public struct EnrolmentCodeIssued: Codable, Sendable, Equatable {
    public var code: String
    /// What the code is named by when it is approved (not the code: that is secret).
    public var id: String
    public var contributor: String
    public var expiresAt: Date
    /// True when the contributor has a device already: the code enrols nothing until they approve
    /// it from that device, or a privacy officer does.
    public var awaitingApproval: Bool
    /// The fingerprints of the keys the organisation signs policies with, to give with the code
    /// (`understudy enroll --policy-key`), so the device checks whom it enrols with.
    public var policyKeys: [String]
    public init(code: String, id: String, contributor: String, expiresAt: Date, awaitingApproval: Bool, policyKeys: [String]) {
        self.code = code
        self.id = id
        self.contributor = contributor
        self.expiresAt = expiresAt
        self.awaitingApproval = awaitingApproval
        self.policyKeys = policyKeys
    }
}

/// An unused, unexpired enrolment code, in `GET /v1/enrolment-codes` (privacy officer) and
/// `GET /v1/me/enrolment-codes` (the contributor's devices: codes someone made in their name).
public struct EnrolmentCodeListing: Codable, Sendable, Equatable {
    public var id: String
    public var contributor: String
    public var createdBy: String
    public var expiresAt: Date
    /// Null until approved: `device:ID` (the contributor) or `user:NAME` (a privacy officer).
    public var approvedBy: String?
    /// Whether the device it enrols may read what was uploaded before its enrolment.
    public var allowsHistory: Bool
    public init(id: String, contributor: String, createdBy: String, expiresAt: Date, approvedBy: String?, allowsHistory: Bool) {
        self.id = id
        self.contributor = contributor
        self.createdBy = createdBy
        self.expiresAt = expiresAt
        self.approvedBy = approvedBy
        self.allowsHistory = allowsHistory
    }
}

/// `POST /v1/me/enrolment-codes/{id}/approve`: the contributor lets the code enrol a device of theirs.
public struct EnrolmentApprovalRequest: Codable, Sendable, Equatable {
    /// Whether the new device may read what was uploaded before it was enrolled (false when absent).
    public var allowHistory: Bool?
    public init(allowHistory: Bool?) { self.allowHistory = allowHistory }
}

/// The answer to approving an enrolment code.
public struct EnrolmentCodeApproved: Codable, Sendable, Equatable {
    public var id: String
    public var contributor: String
    public var approvedBy: String
    public var allowsHistory: Bool
    public init(id: String, contributor: String, approvedBy: String, allowsHistory: Bool) {
        self.id = id
        self.contributor = contributor
        self.approvedBy = approvedBy
        self.allowsHistory = allowsHistory
    }
}

/// The answer to `DELETE /v1/me/enrolment-codes/{id}`: the contributor refused the code.
public struct EnrolmentCodeRefused: Codable, Sendable, Equatable {
    public var id: String
    public var refused: Bool
    public init(id: String, refused: Bool) {
        self.id = id
        self.refused = refused
    }
}

/// A device in `GET /v1/devices` (admin).
public struct DeviceListing: Codable, Sendable, Equatable {
    public var id: String
    public var contributor: String
    public var name: String
    public var enrolledAt: Date
    /// Null until the device is revoked.
    public var revokedAt: Date?
    public init(id: String, contributor: String, name: String, enrolledAt: Date, revokedAt: Date?) {
        self.id = id
        self.contributor = contributor
        self.name = name
        self.enrolledAt = enrolledAt
        self.revokedAt = revokedAt
    }

    // Nulls are written, not left out: the field is always there.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(contributor, forKey: .contributor)
        try c.encode(name, forKey: .name)
        try c.encode(enrolledAt, forKey: .enrolledAt)
        try c.encode(revokedAt, forKey: .revokedAt)
    }
}

/// The answer to `POST /v1/devices/{id}/revoke`.
public struct DeviceRevoked: Codable, Sendable, Equatable {
    public var id: String
    public var revoked: Bool
    public init(id: String, revoked: Bool) {
        self.id = id
        self.revoked = revoked
    }
}

/// One record of the hash-chained audit log (`GET /v1/audit`, `GET /v1/me/audit`).
public struct AuditRecordListing: Codable, Sendable, Equatable {
    public var seq: Int64
    public var at: Date
    /// `at` in whole milliseconds: what the chain's hash covers.
    public var atMs: Int64
    /// Who acted: `user:NAME`, `device:ID`, `system`.
    public var actor: String
    public var action: String
    /// The contributor whose data it concerns; null when none.
    public var subject: String?
    public var detail: String
    public var previousHash: String
    public var hash: String
    public init(
        seq: Int64, at: Date, atMs: Int64, actor: String, action: String, subject: String?, detail: String, previousHash: String, hash: String
    ) {
        self.seq = seq
        self.at = at
        self.atMs = atMs
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
        self.previousHash = previousHash
        self.hash = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(at, forKey: .at)
        try c.encode(atMs, forKey: .atMs)
        try c.encode(actor, forKey: .actor)
        try c.encode(action, forKey: .action)
        try c.encode(subject, forKey: .subject)
        try c.encode(detail, forKey: .detail)
        try c.encode(previousHash, forKey: .previousHash)
        try c.encode(hash, forKey: .hash)
    }
}

/// `GET /v1/stats`: totals over all contributors, only when at least five hold data.
public struct Totals: Codable, Sendable, Equatable {
    public var contributors: Int
    public var segments: Int
    public var bytes: Int64
    public init(contributors: Int, segments: Int, bytes: Int64) {
        self.contributors = contributors
        self.segments = segments
        self.bytes = bytes
    }
}

/// `GET /health`.
public struct Health: Codable, Sendable, Equatable {
    public var ok: Bool
    public init(ok: Bool) { self.ok = ok }
}

/// Every refusal: a stable code and a message a person can act on.
public struct ErrorBody: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
