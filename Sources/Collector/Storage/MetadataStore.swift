import CollectorAPI
import Foundation
import UnderstudyModel

/// Roles of the organisation's people. Contributors are not users: they act through their
/// enrolled devices and see only their own data.
public enum StaffRole: String, Sendable, Codable, CaseIterable {
    case admin
    case privacyOfficer = "privacy_officer"
    case reviewer
    case scientist
}

public struct StaffUser: Sendable, Equatable {
    public var name: String
    public var role: StaffRole
    /// SHA-256 of the user's key, hex: the key itself is shown once and never stored.
    public var keyHash: String
    public var createdAt: Date
    /// True until a privacy officer approves the user: a reviewer, a scientist or a second
    /// privacy officer reads what contributors recorded, so no one person (an admin) can make
    /// one for themselves. A user awaiting approval cannot sign in.
    public var awaitingApproval: Bool

    public init(name: String, role: StaffRole, keyHash: String, createdAt: Date, awaitingApproval: Bool = false) {
        self.name = name
        self.role = role
        self.keyHash = keyHash
        self.createdAt = createdAt
        self.awaitingApproval = awaitingApproval
    }
}

public struct Contributor: Sendable, Equatable {
    /// The id the organisation chose at enrolment (it knows who that is).
    public var id: String
    /// A random name for them that reviewers and scientists see instead of the id: stable,
    /// so steps of one person can be kept together, and linked to the id nowhere they can read.
    public var pseudonym: String
    public var createdAt: Date
    /// The contributor's data key, wrapped by the key-encryption key; nil once erased.
    public var wrappedKey: Data?
    public var erasedAt: Date?

    public init(id: String, pseudonym: String = Contributor.newPseudonym(), createdAt: Date, wrappedKey: Data? = nil, erasedAt: Date? = nil) {
        self.id = id
        self.pseudonym = pseudonym
        self.createdAt = createdAt
        self.wrappedKey = wrappedKey
        self.erasedAt = erasedAt
    }

    /// `p-` and 12 random hex digits.
    public static func newPseudonym() -> String {
        var generator = SystemRandomNumberGenerator()
        return "p-" + (0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexDigits
    }
}

public struct EnrolmentCode: Sendable, Equatable {
    /// SHA-256 of the code, hex.
    public var codeHash: String
    public var contributor: String
    public var expiresAt: Date
    public var createdBy: String
    public var usedAt: Date?
    /// Who approved it (`device:ID` of the contributor's, or `user:NAME`, a privacy officer):
    /// a code for a contributor who has a device already enrols nothing until approved, so an
    /// admin alone cannot add a device to someone else's identity.
    public var approvedBy: String?
    /// Whether the device it enrols may read what was uploaded before it was enrolled: only the
    /// contributor can allow that, from a device of theirs.
    public var allowsHistory: Bool
    /// What the organisation knows the contributor by, for their device to redact (their name
    /// and address as colleagues see them). Kept only until the code is redeemed: the collector
    /// knows contributors by pseudonym.
    public var identity: ContributorIdentity?

    public init(
        codeHash: String, contributor: String, expiresAt: Date, createdBy: String, usedAt: Date? = nil, approvedBy: String? = nil,
        allowsHistory: Bool = false, identity: ContributorIdentity? = nil
    ) {
        self.identity = identity
        self.codeHash = codeHash
        self.contributor = contributor
        self.expiresAt = expiresAt
        self.createdBy = createdBy
        self.usedAt = usedAt
        self.approvedBy = approvedBy
        self.allowsHistory = allowsHistory
    }

    /// What people name the code by (the first 16 hex digits of its hash): the code itself
    /// is a secret shown once, and its hash does not give it away.
    public var id: String { String(codeHash.prefix(16)) }
}

/// What redeeming an enrolment code came to.
public enum CodeRedemption: Sendable, Equatable {
    /// The code is now used; `firstDevice` when its contributor had no device and no code used before.
    case redeemed(EnrolmentCode, firstDevice: Bool)
    /// The contributor has a device already and no one approved the code: it stays unused.
    case awaitingApproval(EnrolmentCode)
    /// No such code, or used, or expired.
    case refused
}

public struct Device: Sendable, Equatable {
    public var id: String
    public var contributor: String
    /// The device's Ed25519 public key (raw 32 bytes).
    public var publicKey: Data
    public var name: String
    public var enrolledAt: Date
    public var revokedAt: Date?
    /// The device reads only what reached the collector from this time on (its enrolment), unless
    /// the contributor allowed it their history: nil then, and for their first device.
    public var readsFrom: Date?

    public init(
        id: String, contributor: String, publicKey: Data, name: String, enrolledAt: Date, revokedAt: Date? = nil, readsFrom: Date? = nil
    ) {
        self.id = id
        self.contributor = contributor
        self.publicKey = publicKey
        self.name = name
        self.enrolledAt = enrolledAt
        self.revokedAt = revokedAt
        self.readsFrom = readsFrom
    }

    /// Whether the device may read a record of this time.
    public func mayRead(_ at: Date) -> Bool { readsFrom.map { at >= $0 } ?? true }
}

public struct PublishedPolicy: Sendable, Equatable {
    /// SHA-256 of the policy document, hex: what sessions name as their policy.
    public var hash: String
    public var name: String
    public var version: Int
    public var document: Data
    public var signature: Data
    public var publishedAt: Date
    public var publishedBy: String

    public init(hash: String, name: String, version: Int, document: Data, signature: Data, publishedAt: Date, publishedBy: String) {
        self.hash = hash
        self.name = name
        self.version = version
        self.document = document
        self.signature = signature
        self.publishedAt = publishedAt
        self.publishedBy = publishedBy
    }
}

public struct StoredSegment: Sendable, Equatable {
    public var id: String
    public var contributor: String
    public var device: String
    /// SHA-256 of the uploaded bundle, hex.
    public var sha256: String
    public var bytes: Int64
    public var policyHash: String
    public var receivedAt: Date
    /// When its recording ended, as the device said (never after `receivedAt`): retention
    /// counts from here, so data waiting out a review window is not kept longer for it.
    public var recordedAt: Date
    /// Where its (encrypted) bundle is in the blob store.
    public var blob: String
    /// What reviewers and scientists call it instead of its id (`s-` and 16 random hex
    /// digits): the id is in the audit log beside the contributor's, so sharing it would let an
    /// admin and a scientist together put a name to a pseudonym.
    public var handle: String

    public init(
        id: String, contributor: String, device: String, sha256: String, bytes: Int64, policyHash: String, receivedAt: Date,
        recordedAt: Date? = nil, blob: String, handle: String = StoredSegment.newHandle()
    ) {
        self.handle = handle
        self.id = id
        self.contributor = contributor
        self.device = device
        self.sha256 = sha256
        self.bytes = bytes
        self.policyHash = policyHash
        self.receivedAt = receivedAt
        self.recordedAt = min(recordedAt ?? receivedAt, receivedAt)
        self.blob = blob
    }
}

extension StoredSegment {
    /// The blob key of one upload: the upload's own random id, then the contributor's id in hex,
    /// then the segment id, `_` between them (a character neither hex nor segment ids hold), so
    /// no two (contributor, segment) pairs share a key, and two uploads of one segment racing
    /// each other write two blobs: the one whose row is inserted is kept, the other deleted.
    /// Segments stored before keep the key their row names (`contributor-id`), so they still read.
    public static func blobKey(contributor: String, segment: String, upload: UUID = UUID()) -> String {
        "\(upload.uuidString.lowercased())_\(Array(contributor.utf8).hexDigits)_\(segment)"
    }

    /// `s-` and 16 random hex digits.
    public static func newHandle() -> String { randomName("s-") }

    /// `prefix` and 16 random hex digits: a name that says nothing of what it names.
    static func randomName(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexDigits
    }
}

/// A stored segment as reviewers and scientists see it: its contributor only by pseudonym,
/// itself by its handle (`id` stays on the server, for its own bookkeeping).
public struct PseudonymousSegment: Sendable, Equatable {
    public var id: String
    public var handle: String
    public var pseudonym: String
    public var sha256: String
    public var bytes: Int64
    public var policyHash: String
    public var receivedAt: Date

    public init(id: String, handle: String, pseudonym: String, sha256: String, bytes: Int64, policyHash: String, receivedAt: Date) {
        self.id = id
        self.handle = handle
        self.pseudonym = pseudonym
        self.sha256 = sha256
        self.bytes = bytes
        self.policyHash = policyHash
        self.receivedAt = receivedAt
    }
}

extension PseudonymousSegment {
    /// The size staff are shown: rounded up to a power of two (64 KiB at least), so it tells how
    /// big a segment is without being the exact figure the contributor's own records hold.
    public var roundedBytes: Int64 {
        let floor: Int64 = 64 * 1024
        guard bytes > floor else { return floor }
        let shift = Int64.bitWidth - (bytes - 1).leadingZeroBitCount
        return shift >= Int64.bitWidth - 1 ? .max : Int64(1) << shift
    }
}

/// A reviewer's judgement of one step of a segment, named by the step's `t_ns` (when its
/// first input happened, in ns since its session started: stable however the steps are compiled). Exports leave out episodes holding a bad step.
public struct StepVerdict: Sendable, Equatable {
    public enum Verdict: String, Sendable, CaseIterable { case good, bad }
    public var segment: String
    public var step: Int64
    public var verdict: Verdict
    /// Why, for a bad step: e.g. `unredacted`, `wrong_action`, `no_observation`.
    public var reason: String?
    public var reviewer: String
    public var at: Date

    public init(segment: String, step: Int64, verdict: Verdict, reason: String?, reviewer: String, at: Date) {
        self.segment = segment
        self.step = step
        self.verdict = verdict
        self.reason = reason
        self.reviewer = reviewer
        self.at = at
    }
}

/// A contributor's request for an exemption, and the privacy officer's decision on it.
public struct ExemptionDecision: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, approved, denied }
    public var contributor: String
    /// The device's id for the request.
    public var id: String
    /// `app`, `site`, `title`, or `all` (capture as a whole, for a period).
    public var kind: String
    public var value: String
    public var reason: String
    public var requestedAt: Date
    public var status: Status = .pending
    public var decidedAt: Date?
    public var decidedBy: String?
    public var note: String?
    /// The period asked for, when it is one.
    public var from: Date?
    public var until: Date?

    public init(
        contributor: String, id: String, kind: String, value: String, reason: String, requestedAt: Date, status: Status = .pending,
        decidedAt: Date? = nil, decidedBy: String? = nil, note: String? = nil, from: Date? = nil, until: Date? = nil
    ) {
        self.from = from
        self.until = until
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
    }
}

/// One append-only audit record. `hash` chains it to the record before it.
public struct AuditRecord: Sendable, Equatable {
    public var seq: Int64
    public var at: Date
    /// Who acted: `user:NAME`, `device:ID`, `system`.
    public var actor: String
    public var action: String
    /// The contributor whose data it concerns, if any.
    public var subject: String?
    public var detail: String
    public var previousHash: String
    public var hash: String
}

extension AuditRecord: AuditChainLink {
    /// `at` in whole milliseconds, as the record is stored and hashed.
    public var atMs: Int64 { AuditChain.milliseconds(at) }
}

/// An audit record to append: the store numbers it and chains it to the one before.
public struct AuditEntry: Sendable, Equatable {
    public var at: Date
    /// Who acted: `user:NAME`, `device:ID`, `system`.
    public var actor: String
    public var action: String
    /// The contributor whose data it concerns, if any.
    public var subject: String?
    /// JSON text.
    public var detail: String

    public init(at: Date, actor: String, action: String, subject: String? = nil, detail: String = "{}") {
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
    }
}

/// A dataset export a scientist registered (`POST /v1/dataset/exports`), as the collector keeps it.
public struct StoredExport: Sendable, Equatable {
    /// `x-…`.
    public var id: String
    public var scientist: String
    public var registeredAt: Date
    public var registration: DatasetExportRegistration

    public init(id: String, scientist: String, registeredAt: Date, registration: DatasetExportRegistration) {
        (self.id, self.scientist, self.registeredAt, self.registration) = (id, scientist, registeredAt, registration)
    }
}

/// What happened to an upload's metadata row.
public enum SegmentInsertion: Sendable, Equatable {
    case inserted
    /// A segment with this id was already stored (with this hash or another).
    case exists(StoredSegment)
    /// Its contributor was erased (while the upload was in flight): nothing was inserted.
    case erased
}

/// Everything the collector keeps besides content: people, devices, policies, consents,
/// segment records and the audit log. One contract (``MetadataStoreContract`` in the tests)
/// says what every backend must do; SQLite is the embedded one.
public protocol MetadataStore: Sendable {
    func createUser(_ user: StaffUser) async throws
    func user(named name: String) async throws -> StaffUser?
    func users() async throws -> [StaffUser]
    /// Approves a user awaiting approval; false when there is no such user awaiting it.
    func approveUser(_ name: String) async throws -> Bool
    /// Removes a user and ends their sessions; false when there is no such user.
    func deleteUser(_ name: String) async throws -> Bool
    /// Gives a user a new key (its hash) and ends their sessions; false when there is no such user.
    func replaceKey(of name: String, keyHash: String) async throws -> Bool
    /// Ends one session (a logout).
    func deleteSession(tokenHash: String) async throws
    func createSession(tokenHash: String, user: String, expiresAt: Date, now: Date) async throws
    /// The user a session token belongs to, while it has not expired.
    func sessionUser(tokenHash: String, now: Date) async throws -> StaffUser?

    /// Creates the contributor with its wrapped data key unless it exists; returns the stored one.
    func ensureContributor(_ contributor: Contributor) async throws -> Contributor
    func contributor(_ id: String) async throws -> Contributor?

    func createCode(_ code: EnrolmentCode) async throws
    /// Marks the code used, if it exists, is unused, has not expired, and is approved or its
    /// contributor has no device and no code used before (checked in the same transaction, so two
    /// codes redeemed at once cannot both count as the first).
    func redeemCode(hash: String, now: Date) async throws -> CodeRedemption
    func code(hash: String) async throws -> EnrolmentCode?
    /// The unused, unexpired codes, of one contributor or of everyone, oldest first.
    func openCodes(contributor: String?, now: Date) async throws -> [EnrolmentCode]
    /// Approves an open code by its ``EnrolmentCode/id`` (of `contributor`, when given); the
    /// approved code, or nil when there is no such open code or it was approved already.
    func approveCode(id: String, contributor: String?, by: String, allowsHistory: Bool, now: Date) async throws -> EnrolmentCode?
    /// Deletes an open code of `contributor` (refused by them); false when there is none.
    func deleteCode(id: String, contributor: String, now: Date) async throws -> Bool

    func addDevice(_ device: Device) async throws
    func device(_ id: String) async throws -> Device?
    func devices() async throws -> [Device]
    func revokeDevice(_ id: String, at: Date) async throws -> Bool

    /// Records a request nonce; false when the device used it before (a replayed request).
    func useNonce(device: String, nonce: String, expiresAt: Date, now: Date) async throws -> Bool

    func publish(_ policy: PublishedPolicy) async throws
    func policy(hash: String) async throws -> PublishedPolicy?
    func policies() async throws -> [PublishedPolicy]
    func recordConsent(contributor: String, policyHash: String, acceptedAt: Date) async throws
    /// Ends the contributor's consents accepted at or before `acceptedBefore` (a withdrawal on
    /// their device); returns how many. A consent accepted after it stays.
    func withdrawConsents(contributor: String, acceptedBefore: Date) async throws -> Int
    func hasConsent(contributor: String, policyHash: String) async throws -> Bool
    /// The policies the contributor consented to, by hash.
    func consents(contributor: String) async throws -> [String]

    /// Inserts the segment unless one with its id exists or its contributor was erased (the
    /// tombstone is checked in the same transaction, so an upload that began before an erasure
    /// cannot add a row after it), and then appends `audit` to the audit log, in one
    /// transaction: a stored segment always has its audit record.
    func insertSegment(_ segment: StoredSegment, audit: AuditEntry) async throws -> SegmentInsertion
    func segment(_ id: String) async throws -> StoredSegment?
    /// The segment reviewers and scientists know by `handle`.
    func segment(handle: String) async throws -> StoredSegment?
    func segments(contributor: String) async throws -> [StoredSegment]
    /// Segments recorded under `policyHash` whose recording ended before `cutoff` (retention).
    func segments(policyHash: String, recordedBefore cutoff: Date) async throws -> [StoredSegment]
    /// Deletes the segment's row and its review verdicts.
    func deleteSegment(_ id: String) async throws
    /// Every segment, oldest first, with its contributor's pseudonym instead of their id.
    func pseudonymousSegments() async throws -> [PseudonymousSegment]
    /// The pseudonyms of erased contributors and the day each was erased, oldest first: what
    /// scientists check their exports against.
    func erasedPseudonyms() async throws -> [(pseudonym: String, erasedAt: Date)]
    /// Records verdicts, replacing earlier ones on the same steps.
    func recordVerdicts(_ verdicts: [StepVerdict]) async throws
    /// The verdicts on one segment, or on all, by segment and step.
    func verdicts(segment: String?) async throws -> [StepVerdict]

    /// Crypto-shredding: destroys the contributor's wrapped data key (so nothing sealed with
    /// it opens again, backups included), leaves a tombstone (the id and when), revokes their
    /// devices and forgets their names (often the person's own, as a host name), drops their
    /// codes, consents and nonces, atomically. Returns their segments,
    /// whose blobs and rows the caller deletes next. Deleted bytes must not linger in the
    /// store's files.
    func shredContributor(_ id: String, at: Date) async throws -> [StoredSegment]

    /// Records a request unless the contributor sent one with this id before (a repeated sync).
    func addExemptionRequest(_ request: ExemptionDecision) async throws
    /// Requests of one contributor, or of everyone; only those in `status` when given.
    func exemptionRequests(contributor: String?, status: ExemptionDecision.Status?) async throws -> [ExemptionDecision]
    /// Decides a pending request; false when there is no such pending request.
    func decideExemption(contributor: String, id: String, approved: Bool, by: String, note: String?, at: Date) async throws -> Bool

    /// Keeps a registered export and appends `audit` to the audit log, in one transaction.
    func addExport(_ export: StoredExport, audit: AuditEntry) async throws
    /// Every registered export, oldest first.
    func exports() async throws -> [StoredExport]
    func export(_ id: String) async throws -> StoredExport?

    /// The bytes of the contributor's stored segments: what their quota counts.
    func bytesStored(contributor: String) async throws -> Int64
    /// Totals over everyone: contributors holding at least one segment, segments, bytes.
    func totals() async throws -> (contributors: Int, segments: Int, bytes: Int64)

    /// Replaces every contributor's wrapped data key with `rewrap(id, wrapped)`, all or none
    /// (key rotation). Returns how many were rewrapped.
    func rewrapDataKeys(_ rewrap: @escaping @Sendable (String, Data) throws -> Data) async throws -> Int

    /// Appends a record to the audit log, chained to the last one, atomically.
    func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord
    /// One page of the audit log in order: at most `limit` records after sequence number
    /// `after`; only the records about `subject` when given, and only those made at or after
    /// `from` when given (what a device not allowed its contributor's history reads).
    func auditRecords(subject: String?, from: Date?, after: Int64, limit: Int) async throws -> [AuditRecord]
}

extension MetadataStore {
    /// One page of the audit log, of any time.
    public func auditRecords(subject: String?, after: Int64, limit: Int) async throws -> [AuditRecord] {
        try await auditRecords(subject: subject, from: nil, after: after, limit: limit)
    }

    /// The whole audit log in order (for the server's own use and tests; the API pages it).
    public func auditRecords(subject: String?) async throws -> [AuditRecord] {
        try await auditRecords(subject: subject, after: 0, limit: .max)
    }
}

/// Where the collector keeps content: encrypted segment bundles, by key. Writes become
/// visible only when committed, and are durable then.
public protocol BlobStore: Sendable {
    /// Starts writing a blob; nothing is visible under `key` until ``BlobWriter/commit()``.
    func create(_ key: String) async throws -> any BlobWriter
    /// The blob's bytes, chunk by chunk.
    func read(_ key: String) async throws -> AsyncThrowingStream<Data, any Error>
    func exists(_ key: String) async throws -> Bool
    func delete(_ key: String) async throws
}

public protocol BlobWriter: Sendable {
    func write(_ data: Data) async throws
    /// Makes the blob durable and visible.
    func commit() async throws
    /// Drops what was written.
    func abort() async
}

public enum StoreError: Error, Equatable, CustomStringConvertible {
    case duplicate(String)
    case notFound(String)
    /// The disk (or the database's) is full: nothing was stored, and trying later can work.
    case full(String)
    case io(String)

    public var description: String {
        switch self {
        case .duplicate(let what): "\(what) exists already"
        case .notFound(let what): "\(what) does not exist"
        case .full(let what): "no space left to store \(what)"
        case .io(let reason): "storage failed: \(reason)"
        }
    }

    /// `error` from a write, as a store error: out of space is told apart.
    static func writing(_ what: String, _ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        let ns = error as NSError
        let outOfSpace =
            (ns.domain == NSPOSIXErrorDomain && (ns.code == Int(ENOSPC) || ns.code == Int(EDQUOT)))
            || (error as? CocoaError)?.code == .fileWriteOutOfSpace
            || (error as? DurableFile.Failure)?.isOutOfSpace == true
        return outOfSpace ? .full(what) : .io("writing \(what): \(error.localizedDescription)")
    }
}
