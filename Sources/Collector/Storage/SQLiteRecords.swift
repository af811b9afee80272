import CollectorAPI
import Foundation
import GRDB

// The rows of the metadata database, one type per table, as the migrations in
// SQLiteMetadataStore.swift define them. They are storage, not the model: the store converts
// them to and from the public types, and nothing outside this folder uses them.

/// A row of the metadata database.
///
/// Dates are stored as seconds since 1970 (REAL), as they always were. That holds for records
/// only: a query binds a `Date` as text, so filters and updates compare with
/// `timeIntervalSince1970`, never a `Date`.
protocol MetadataRow: Codable, FetchableRecord, PersistableRecord {}

extension MetadataRow {
    static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
    static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
}

struct StaffUserRow: MetadataRow {
    static let databaseTableName = "staff_user"

    var name: String
    /// A ``StaffRole`` raw value.
    var role: String
    var keyHash: String
    var createdAt: Date
    var awaitingApproval: Bool

    enum CodingKeys: String, CodingKey {
        case name, role
        case keyHash = "key_hash"
        case createdAt = "created_at"
        case awaitingApproval = "awaiting_approval"
    }

    enum Columns {
        static let name = Column(CodingKeys.name)
        static let keyHash = Column(CodingKeys.keyHash)
        static let awaitingApproval = Column(CodingKeys.awaitingApproval)
    }

    /// The user's sessions, through the foreign key `staff_session.user`.
    static let sessions = hasMany(StaffSessionRow.self)

    init(_ user: StaffUser) {
        name = user.name
        role = user.role.rawValue
        keyHash = user.keyHash
        createdAt = user.createdAt
        awaitingApproval = user.awaitingApproval
    }

    /// Nil for a role this version does not know: such a user cannot sign in.
    var model: StaffUser? {
        StaffRole(rawValue: role).map { StaffUser(name: name, role: $0, keyHash: keyHash, createdAt: createdAt, awaitingApproval: awaitingApproval) }
    }
}

struct StaffSessionRow: MetadataRow {
    static let databaseTableName = "staff_session"

    var tokenHash: String
    var user: String
    var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case user
        case tokenHash = "token_hash"
        case expiresAt = "expires_at"
    }

    enum Columns {
        static let user = Column(CodingKeys.user)
        static let expiresAt = Column(CodingKeys.expiresAt)
    }
}

struct ContributorRow: MetadataRow {
    static let databaseTableName = "contributor"

    var id: String
    /// Nullable in the schema (the column came with migration v3), never nil since.
    var pseudonym: String?
    var createdAt: Date
    var wrappedKey: Data?
    var erasedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, pseudonym
        case createdAt = "created_at"
        case wrappedKey = "wrapped_key"
        case erasedAt = "erased_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let pseudonym = Column(CodingKeys.pseudonym)
        static let wrappedKey = Column(CodingKeys.wrappedKey)
        static let erasedAt = Column(CodingKeys.erasedAt)
    }

    init(_ contributor: Contributor) {
        id = contributor.id
        pseudonym = contributor.pseudonym
        createdAt = contributor.createdAt
        wrappedKey = contributor.wrappedKey
        erasedAt = contributor.erasedAt
    }

    var model: Contributor {
        Contributor(id: id, pseudonym: pseudonym ?? "", createdAt: createdAt, wrappedKey: wrappedKey, erasedAt: erasedAt)
    }
}

struct EnrolmentCodeRow: MetadataRow {
    static let databaseTableName = "enrolment_code"

    var codeHash: String
    var contributor: String
    var expiresAt: Date
    var createdBy: String
    var usedAt: Date?
    var approvedBy: String?
    var allowsHistory: Bool
    var displayName: String?
    var email: String?

    enum CodingKeys: String, CodingKey {
        case contributor, email
        case displayName = "display_name"
        case codeHash = "code_hash"
        case expiresAt = "expires_at"
        case createdBy = "created_by"
        case usedAt = "used_at"
        case approvedBy = "approved_by"
        case allowsHistory = "allows_history"
    }

    enum Columns {
        static let codeHash = Column(CodingKeys.codeHash)
        static let contributor = Column(CodingKeys.contributor)
        static let expiresAt = Column(CodingKeys.expiresAt)
        static let usedAt = Column(CodingKeys.usedAt)
        static let approvedBy = Column(CodingKeys.approvedBy)
        static let allowsHistory = Column(CodingKeys.allowsHistory)
        static let displayName = Column(CodingKeys.displayName)
        static let email = Column(CodingKeys.email)
    }

    init(_ code: EnrolmentCode) {
        displayName = code.identity?.displayName
        email = code.identity?.email
        codeHash = code.codeHash
        contributor = code.contributor
        expiresAt = code.expiresAt
        createdBy = code.createdBy
        usedAt = code.usedAt
        approvedBy = code.approvedBy
        allowsHistory = code.allowsHistory
    }

    var model: EnrolmentCode {
        EnrolmentCode(
            codeHash: codeHash, contributor: contributor, expiresAt: expiresAt, createdBy: createdBy, usedAt: usedAt, approvedBy: approvedBy,
            allowsHistory: allowsHistory,
            identity: displayName == nil && email == nil ? nil : ContributorIdentity(displayName: displayName, email: email))
    }
}

struct DeviceRow: MetadataRow {
    static let databaseTableName = "device"

    var id: String
    var contributor: String
    var publicKey: Data
    var name: String
    var enrolledAt: Date
    var revokedAt: Date?
    var readsFrom: Date?

    enum CodingKeys: String, CodingKey {
        case id, contributor, name
        case publicKey = "public_key"
        case enrolledAt = "enrolled_at"
        case revokedAt = "revoked_at"
        case readsFrom = "reads_from"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let contributor = Column(CodingKeys.contributor)
        static let name = Column(CodingKeys.name)
        static let enrolledAt = Column(CodingKeys.enrolledAt)
        static let revokedAt = Column(CodingKeys.revokedAt)
    }

    init(_ device: Device) {
        id = device.id
        contributor = device.contributor
        publicKey = device.publicKey
        name = device.name
        enrolledAt = device.enrolledAt
        revokedAt = device.revokedAt
        readsFrom = device.readsFrom
    }

    var model: Device {
        Device(
            id: id, contributor: contributor, publicKey: publicKey, name: name, enrolledAt: enrolledAt, revokedAt: revokedAt,
            readsFrom: readsFrom)
    }
}

struct NonceRow: MetadataRow {
    static let databaseTableName = "nonce"

    var device: String
    var nonce: String
    var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case device, nonce
        case expiresAt = "expires_at"
    }

    enum Columns {
        static let device = Column(CodingKeys.device)
        static let expiresAt = Column(CodingKeys.expiresAt)
    }
}

struct PolicyRow: MetadataRow {
    static let databaseTableName = "policy"

    var hash: String
    var name: String
    var version: Int
    var document: Data
    var signature: Data
    var publishedAt: Date
    var publishedBy: String

    enum CodingKeys: String, CodingKey {
        case hash, name, version, document, signature
        case publishedAt = "published_at"
        case publishedBy = "published_by"
    }

    enum Columns {
        static let hash = Column(CodingKeys.hash)
        static let publishedAt = Column(CodingKeys.publishedAt)
    }

    init(_ policy: PublishedPolicy) {
        hash = policy.hash
        name = policy.name
        version = policy.version
        document = policy.document
        signature = policy.signature
        publishedAt = policy.publishedAt
        publishedBy = policy.publishedBy
    }

    var model: PublishedPolicy {
        PublishedPolicy(
            hash: hash, name: name, version: version, document: document, signature: signature, publishedAt: publishedAt, publishedBy: publishedBy)
    }
}

struct ConsentRow: MetadataRow {
    static let databaseTableName = "consent"

    var contributor: String
    var policyHash: String
    var acceptedAt: Date

    enum CodingKeys: String, CodingKey {
        case contributor
        case policyHash = "policy_hash"
        case acceptedAt = "accepted_at"
    }

    enum Columns {
        static let contributor = Column(CodingKeys.contributor)
        static let policyHash = Column(CodingKeys.policyHash)
        static let acceptedAt = Column(CodingKeys.acceptedAt)
    }
}

struct SegmentRow: MetadataRow {
    static let databaseTableName = "segment"

    var id: String
    var contributor: String
    var device: String
    var sha256: String
    var bytes: Int64
    var policyHash: String
    var receivedAt: Date
    /// Nullable in the schema (the column came with migration v3), never nil since.
    var recordedAt: Date?
    var blob: String
    /// Nullable in the schema (the column came with migration v3), never nil since.
    var handle: String?

    enum CodingKeys: String, CodingKey {
        case id, contributor, device, sha256, bytes, blob, handle
        case policyHash = "policy_hash"
        case receivedAt = "received_at"
        case recordedAt = "recorded_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let contributor = Column(CodingKeys.contributor)
        static let policyHash = Column(CodingKeys.policyHash)
        static let receivedAt = Column(CodingKeys.receivedAt)
        static let recordedAt = Column(CodingKeys.recordedAt)
        static let handle = Column(CodingKeys.handle)
        static let bytes = Column(CodingKeys.bytes)
    }

    /// The segment's contributor. The schema declares no foreign key, so the association names its columns.
    static let contributorRow = belongsTo(ContributorRow.self, using: ForeignKey([Columns.contributor], to: [ContributorRow.Columns.id]))

    init(_ segment: StoredSegment) {
        id = segment.id
        contributor = segment.contributor
        device = segment.device
        sha256 = segment.sha256
        bytes = segment.bytes
        policyHash = segment.policyHash
        receivedAt = segment.receivedAt
        recordedAt = segment.recordedAt
        blob = segment.blob
        handle = segment.handle
    }

    var model: StoredSegment {
        StoredSegment(
            id: id, contributor: contributor, device: device, sha256: sha256, bytes: bytes, policyHash: policyHash, receivedAt: receivedAt,
            recordedAt: recordedAt, blob: blob, handle: handle ?? id)
    }
}

/// A segment row with its contributor's pseudonym beside it: what ``SegmentRow/contributorRow`` annotates it with.
struct PseudonymousSegmentRow: Decodable, FetchableRecord {
    var id: String
    var handle: String
    var pseudonym: String
    var sha256: String
    var bytes: Int64
    var policyHash: String
    var receivedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, handle, pseudonym, sha256, bytes
        case policyHash = "policy_hash"
        case receivedAt = "received_at"
    }

    static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }

    var model: PseudonymousSegment {
        PseudonymousSegment(
            id: id, handle: handle, pseudonym: pseudonym, sha256: sha256, bytes: bytes, policyHash: policyHash, receivedAt: receivedAt)
    }
}

struct ExemptionRequestRow: MetadataRow {
    static let databaseTableName = "exemption_request"

    var contributor: String
    var id: String
    var kind: String
    var value: String
    var reason: String
    var requestedAt: Date
    /// An ``ExemptionDecision/Status`` raw value.
    var status: String
    var decidedAt: Date?
    var decidedBy: String?
    var note: String?
    var fromAt: Date?
    var untilAt: Date?

    enum CodingKeys: String, CodingKey {
        case contributor, id, kind, value, reason, status, note
        case requestedAt = "requested_at"
        case decidedAt = "decided_at"
        case decidedBy = "decided_by"
        case fromAt = "from_at"
        case untilAt = "until_at"
    }

    enum Columns {
        static let contributor = Column(CodingKeys.contributor)
        static let id = Column(CodingKeys.id)
        static let requestedAt = Column(CodingKeys.requestedAt)
        static let status = Column(CodingKeys.status)
        static let decidedAt = Column(CodingKeys.decidedAt)
        static let decidedBy = Column(CodingKeys.decidedBy)
        static let note = Column(CodingKeys.note)
    }

    init(_ request: ExemptionDecision) {
        contributor = request.contributor
        id = request.id
        kind = request.kind
        value = request.value
        reason = request.reason
        requestedAt = request.requestedAt
        status = request.status.rawValue
        decidedAt = request.decidedAt
        decidedBy = request.decidedBy
        note = request.note
        fromAt = request.from
        untilAt = request.until
    }

    var model: ExemptionDecision {
        ExemptionDecision(
            contributor: contributor, id: id, kind: kind, value: value, reason: reason, requestedAt: requestedAt,
            status: ExemptionDecision.Status(rawValue: status) ?? .pending, decidedAt: decidedAt, decidedBy: decidedBy, note: note,
            from: fromAt, until: untilAt)
    }
}

struct ReviewVerdictRow: MetadataRow {
    static let databaseTableName = "review_verdict"

    var segment: String
    var step: Int64
    /// A ``StepVerdict/Verdict`` raw value.
    var verdict: String
    var reason: String?
    var reviewer: String
    var at: Date

    enum Columns {
        static let segment = Column(CodingKeys.segment)
        static let step = Column(CodingKeys.step)
    }

    init(_ verdict: StepVerdict) {
        segment = verdict.segment
        step = verdict.step
        self.verdict = verdict.verdict.rawValue
        reason = verdict.reason
        reviewer = verdict.reviewer
        at = verdict.at
    }

    /// A verdict this version cannot read counts as bad: its episode stays out of exports.
    var model: StepVerdict {
        StepVerdict(segment: segment, step: step, verdict: StepVerdict.Verdict(rawValue: verdict) ?? .bad, reason: reason, reviewer: reviewer, at: at)
    }
}

/// An audit row. Its time is whole milliseconds (`at_ms`), as the hash chain covers it, not a date.
struct AuditRow: MetadataRow {
    static let databaseTableName = "audit"

    var seq: Int64
    var atMs: Int64
    var actor: String
    var action: String
    var subject: String?
    var detail: String
    var previousHash: String
    var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, actor, action, subject, detail, hash
        case atMs = "at_ms"
        case previousHash = "previous_hash"
    }

    enum Columns {
        static let seq = Column(CodingKeys.seq)
        static let atMs = Column(CodingKeys.atMs)
        static let subject = Column(CodingKeys.subject)
    }

    /// `atMs` is the entry's time as the chain hashed it, stored as such rather than worked out again from `record.at`.
    init(_ record: AuditRecord, atMs: Int64) {
        seq = record.seq
        self.atMs = atMs
        actor = record.actor
        action = record.action
        subject = record.subject
        detail = record.detail
        previousHash = record.previousHash
        hash = record.hash
    }

    var model: AuditRecord {
        AuditRecord(
            seq: seq, at: Date(timeIntervalSince1970: Double(atMs) / 1000), actor: actor, action: action, subject: subject, detail: detail,
            previousHash: previousHash, hash: hash)
    }
}

struct DatasetExportRow: MetadataRow {
    static let databaseTableName = "dataset_export"

    var id: String
    var scientist: String
    var registeredAt: Date
    /// The ``DatasetExportRegistration`` as the API's JSON.
    var registration: String

    enum CodingKeys: String, CodingKey {
        case id, scientist, registration
        case registeredAt = "registered_at"
    }

    enum Columns {
        static let registeredAt = Column(CodingKeys.registeredAt)
        static let id = Column(CodingKeys.id)
    }

    init(_ export: StoredExport) throws {
        (id, scientist, registeredAt) = (export.id, export.scientist, export.registeredAt)
        registration = String(decoding: try APICoding.encode(export.registration), as: UTF8.self)
    }

    func model() throws -> StoredExport {
        let registration = try APICoding.decode(DatasetExportRegistration.self, from: Data(self.registration.utf8))
        return StoredExport(id: id, scientist: scientist, registeredAt: registeredAt, registration: registration)
    }
}
