import Crypto
import Foundation
import GRDB
import UnderstudyModel

/// The embedded metadata store: one SQLite database (WAL), built by migrations.
public final class SQLiteMetadataStore: MetadataStore {
    private let database: DatabasePool

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Deleted rows are overwritten, so a destroyed data key cannot be read back from free pages.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw StoreError.io("cannot open the metadata database \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: people, devices, policies, segments, audit") { db in
            try db.create(table: "staff_user") { t in
                t.primaryKey("name", .text)
                t.column("role", .text).notNull()
                t.column("key_hash", .text).notNull()
                t.column("created_at", .double).notNull()
            }
            try db.create(table: "staff_session") { t in
                t.primaryKey("token_hash", .text)
                t.column("user", .text).notNull().references("staff_user", onDelete: .cascade)
                t.column("expires_at", .double).notNull()
            }
            try db.create(table: "contributor") { t in
                t.primaryKey("id", .text)
                t.column("created_at", .double).notNull()
                t.column("wrapped_key", .blob)
                t.column("erased_at", .double)
            }
            try db.create(table: "enrolment_code") { t in
                t.primaryKey("code_hash", .text)
                t.column("contributor", .text).notNull()
                t.column("expires_at", .double).notNull()
                t.column("created_by", .text).notNull()
                t.column("used_at", .double)
            }
            try db.create(table: "device") { t in
                t.primaryKey("id", .text)
                t.column("contributor", .text).notNull()
                t.column("public_key", .blob).notNull()
                t.column("name", .text).notNull()
                t.column("enrolled_at", .double).notNull()
                t.column("revoked_at", .double)
            }
            try db.create(table: "nonce") { t in
                t.column("device", .text).notNull()
                t.column("nonce", .text).notNull()
                t.column("expires_at", .double).notNull()
                t.primaryKey(["device", "nonce"])
            }
            try db.create(table: "policy") { t in
                t.primaryKey("hash", .text)
                t.column("name", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("document", .blob).notNull()
                t.column("signature", .blob).notNull()
                t.column("published_at", .double).notNull()
                t.column("published_by", .text).notNull()
            }
            try db.create(table: "consent") { t in
                t.column("contributor", .text).notNull()
                t.column("policy_hash", .text).notNull()
                t.column("accepted_at", .double).notNull()
                t.primaryKey(["contributor", "policy_hash"])
            }
            try db.create(table: "segment") { t in
                t.primaryKey("id", .text)
                t.column("contributor", .text).notNull()
                t.column("device", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("bytes", .integer).notNull()
                t.column("policy_hash", .text).notNull()
                t.column("received_at", .double).notNull()
                t.column("blob", .text).notNull()
            }
            try db.create(index: "segment_contributor", on: "segment", columns: ["contributor"])
            try db.create(table: "audit") { t in
                t.primaryKey("seq", .integer)
                t.column("at_ms", .integer).notNull()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("subject", .text)
                t.column("detail", .text).notNull()
                t.column("previous_hash", .text).notNull()
                t.column("hash", .text).notNull()
            }
            try db.create(index: "audit_subject", on: "audit", columns: ["subject"])
        }
        migrator.registerMigration("v2: exemption requests") { db in
            try db.create(table: "exemption_request") { t in
                t.column("contributor", .text).notNull()
                t.column("id", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("value", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("requested_at", .double).notNull()
                t.column("status", .text).notNull()
                t.column("decided_at", .double)
                t.column("decided_by", .text)
                t.column("note", .text)
                t.primaryKey(["contributor", "id"])
            }
        }
        migrator.registerMigration("v3: pseudonyms and review verdicts") { db in
            try db.alter(table: "contributor") { t in t.add(column: "pseudonym", .text) }
            try db.execute(sql: "UPDATE contributor SET pseudonym = 'p-' || lower(hex(randomblob(6)))")
            try db.create(index: "contributor_pseudonym", on: "contributor", columns: ["pseudonym"], unique: true)
            try db.alter(table: "segment") { t in t.add(column: "recorded_at", .double) }
            try db.alter(table: "exemption_request") { t in
                t.add(column: "from_at", .double)
                t.add(column: "until_at", .double)
            }
            try db.execute(sql: "UPDATE segment SET recorded_at = received_at")
            try db.alter(table: "segment") { t in t.add(column: "handle", .text) }
            try db.execute(sql: "UPDATE segment SET handle = 's-' || lower(hex(randomblob(8)))")
            try db.create(index: "segment_handle", on: "segment", columns: ["handle"], unique: true)
            try db.create(table: "review_verdict") { t in
                t.column("segment", .text).notNull()
                t.column("step", .integer).notNull()
                t.column("verdict", .text).notNull()
                t.column("reason", .text)
                t.column("reviewer", .text).notNull()
                t.column("at", .double).notNull()
                t.primaryKey(["segment", "step"])
            }
        }
        return migrator
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await database.write(body) } catch let error as StoreError { throw error } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_CONSTRAINT: throw StoreError.duplicate(error.message ?? "row")
            case .SQLITE_FULL: throw StoreError.full("the metadata database")
            default: throw StoreError.io("\(error)")
            }
        } catch { throw StoreError.io("\(error)") }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await database.read(body) } catch { throw StoreError.io("\(error)") }
    }

    // MARK: People

    public func createUser(_ user: StaffUser) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO staff_user (name, role, key_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [user.name, user.role.rawValue, user.keyHash, user.createdAt.timeIntervalSince1970])
        }
    }

    public func user(named name: String) async throws -> StaffUser? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM staff_user WHERE name = ?", arguments: [name]).flatMap(Self.user) }
    }

    public func users() async throws -> [StaffUser] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM staff_user ORDER BY name").compactMap(Self.user) }
    }

    public func createSession(tokenHash: String, user: String, expiresAt: Date, now: Date) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM staff_session WHERE expires_at < ?", arguments: [now.timeIntervalSince1970])
            try db.execute(
                sql: "INSERT INTO staff_session (token_hash, user, expires_at) VALUES (?, ?, ?)",
                arguments: [tokenHash, user, expiresAt.timeIntervalSince1970])
        }
    }

    public func sessionUser(tokenHash: String, now: Date) async throws -> StaffUser? {
        try await read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT u.* FROM staff_session s JOIN staff_user u ON u.name = s.user WHERE s.token_hash = ? AND s.expires_at > ?
                    """, arguments: [tokenHash, now.timeIntervalSince1970]
            ).flatMap(Self.user)
        }
    }

    private static func user(_ row: Row) -> StaffUser? {
        guard let role = StaffRole(rawValue: row["role"]) else { return nil }
        return StaffUser(name: row["name"], role: role, keyHash: row["key_hash"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func ensureContributor(_ contributor: Contributor) async throws -> Contributor {
        try await write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO contributor (id, pseudonym, created_at, wrapped_key) VALUES (?, ?, ?, ?)",
                arguments: [contributor.id, contributor.pseudonym, contributor.createdAt.timeIntervalSince1970, contributor.wrappedKey])
            return try Row.fetchOne(db, sql: "SELECT * FROM contributor WHERE id = ?", arguments: [contributor.id]).map(Self.contributor)!
        }
    }

    public func contributor(_ id: String) async throws -> Contributor? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM contributor WHERE id = ?", arguments: [id]).map(Self.contributor) }
    }

    private static func contributor(_ row: Row) -> Contributor {
        Contributor(
            id: row["id"], pseudonym: row["pseudonym"] ?? "", createdAt: Date(timeIntervalSince1970: row["created_at"]),
            wrappedKey: row["wrapped_key"],
            erasedAt: (row["erased_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    public func addExemptionRequest(_ r: ExemptionDecision) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO exemption_request (contributor, id, kind, value, reason, requested_at, status, from_at, until_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                    """,
                arguments: [
                    r.contributor, r.id, r.kind, r.value, r.reason, r.requestedAt.timeIntervalSince1970,
                    r.from?.timeIntervalSince1970, r.until?.timeIntervalSince1970,
                ])
        }
    }

    public func exemptionRequests(contributor: String?, status: ExemptionDecision.Status?) async throws -> [ExemptionDecision] {
        try await read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let contributor {
                conditions.append("contributor = ?")
                arguments.append(contributor)
            }
            if let status {
                conditions.append("status = ?")
                arguments.append(status.rawValue)
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(
                db, sql: "SELECT * FROM exemption_request \(filter) ORDER BY requested_at, contributor, id",
                arguments: StatementArguments(arguments)
            ).map { row in
                ExemptionDecision(
                    contributor: row["contributor"], id: row["id"], kind: row["kind"], value: row["value"], reason: row["reason"],
                    requestedAt: Date(timeIntervalSince1970: row["requested_at"]),
                    status: ExemptionDecision.Status(rawValue: row["status"]) ?? .pending,
                    decidedAt: (row["decided_at"] as Double?).map(Date.init(timeIntervalSince1970:)), decidedBy: row["decided_by"], note: row["note"],
                    from: (row["from_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    until: (row["until_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    public func decideExemption(contributor: String, id: String, approved: Bool, by: String, note: String?, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE exemption_request SET status = ?, decided_at = ?, decided_by = ?, note = ? WHERE contributor = ? AND id = ? AND status = 'pending'
                    """, arguments: [approved ? "approved" : "denied", at.timeIntervalSince1970, by, note, contributor, id])
            return db.changesCount == 1
        }
    }

    public func totals() async throws -> (contributors: Int, segments: Int, bytes: Int64) {
        try await read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(DISTINCT contributor) AS c, count(*) AS s, coalesce(sum(bytes), 0) AS b FROM segment")
            return (row?["c"] ?? 0, row?["s"] ?? 0, row?["b"] ?? 0)
        }
    }

    public func rewrapDataKeys(_ rewrap: @escaping @Sendable (String, Data) throws -> Data) async throws -> Int {
        let count = try await write { db -> Int in
            let rows = try Row.fetchAll(db, sql: "SELECT id, wrapped_key FROM contributor WHERE wrapped_key IS NOT NULL")
            for row in rows {
                let id: String = row["id"]
                try db.execute(sql: "UPDATE contributor SET wrapped_key = ? WHERE id = ?", arguments: [try rewrap(id, row["wrapped_key"]), id])
            }
            return rows.count
        }
        try await checkpoint()
        return count
    }

    // MARK: Enrolment and devices

    public func createCode(_ code: EnrolmentCode) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO enrolment_code (code_hash, contributor, expires_at, created_by) VALUES (?, ?, ?, ?)",
                arguments: [code.codeHash, code.contributor, code.expiresAt.timeIntervalSince1970, code.createdBy])
        }
    }

    public func redeemCode(hash: String, now: Date) async throws -> EnrolmentCode? {
        try await write { db in
            try db.execute(
                sql: "UPDATE enrolment_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
                arguments: [now.timeIntervalSince1970, hash, now.timeIntervalSince1970])
            guard db.changesCount == 1 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM enrolment_code WHERE code_hash = ?", arguments: [hash]).map(Self.code)
        }
    }

    public func code(hash: String) async throws -> EnrolmentCode? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM enrolment_code WHERE code_hash = ?", arguments: [hash]).map(Self.code) }
    }

    private static func code(_ row: Row) -> EnrolmentCode {
        EnrolmentCode(
            codeHash: row["code_hash"], contributor: row["contributor"], expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            createdBy: row["created_by"], usedAt: (row["used_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    public func addDevice(_ device: Device) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO device (id, contributor, public_key, name, enrolled_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [device.id, device.contributor, device.publicKey, device.name, device.enrolledAt.timeIntervalSince1970])
        }
    }

    public func device(_ id: String) async throws -> Device? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM device WHERE id = ?", arguments: [id]).map(Self.device) }
    }

    public func devices() async throws -> [Device] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM device ORDER BY enrolled_at, id").map(Self.device) }
    }

    public func revokeDevice(_ id: String, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE device SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at.timeIntervalSince1970, id])
            return db.changesCount == 1
        }
    }

    private static func device(_ row: Row) -> Device {
        Device(
            id: row["id"], contributor: row["contributor"], publicKey: row["public_key"], name: row["name"],
            enrolledAt: Date(timeIntervalSince1970: row["enrolled_at"]),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    public func useNonce(device: String, nonce: String, expiresAt: Date, now: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM nonce WHERE expires_at < ?", arguments: [now.timeIntervalSince1970])
            try db.execute(
                sql: "INSERT OR IGNORE INTO nonce (device, nonce, expires_at) VALUES (?, ?, ?)",
                arguments: [device, nonce, expiresAt.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    // MARK: Policies and consent

    public func publish(_ policy: PublishedPolicy) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO policy (hash, name, version, document, signature, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    policy.hash, policy.name, policy.version, policy.document, policy.signature,
                    policy.publishedAt.timeIntervalSince1970, policy.publishedBy,
                ])
        }
    }

    public func policy(hash: String) async throws -> PublishedPolicy? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM policy WHERE hash = ?", arguments: [hash]).map(Self.policy) }
    }

    public func policies() async throws -> [PublishedPolicy] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM policy ORDER BY published_at, hash").map(Self.policy) }
    }

    private static func policy(_ row: Row) -> PublishedPolicy {
        PublishedPolicy(
            hash: row["hash"], name: row["name"], version: row["version"], document: row["document"], signature: row["signature"],
            publishedAt: Date(timeIntervalSince1970: row["published_at"]), publishedBy: row["published_by"])
    }

    public func recordConsent(contributor: String, policyHash: String, acceptedAt: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO consent (contributor, policy_hash, accepted_at) VALUES (?, ?, ?)",
                arguments: [contributor, policyHash, acceptedAt.timeIntervalSince1970])
        }
    }

    public func hasConsent(contributor: String, policyHash: String) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM consent WHERE contributor = ? AND policy_hash = ?", arguments: [contributor, policyHash])
                ?? false
        }
    }

    public func consents(contributor: String) async throws -> [String] {
        try await read { db in
            try String.fetchAll(
                db, sql: "SELECT policy_hash FROM consent WHERE contributor = ? ORDER BY accepted_at, policy_hash", arguments: [contributor])
        }
    }

    // MARK: Segments

    public func insertSegment(_ segment: StoredSegment, audit: AuditEntry) async throws -> SegmentInsertion {
        try await write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT * FROM segment WHERE id = ?", arguments: [segment.id]).map(Self.segment) {
                return .exists(existing)
            }
            try db.execute(
                sql: """
                    INSERT INTO segment (id, contributor, device, sha256, bytes, policy_hash, received_at, recorded_at, blob, handle)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    segment.id, segment.contributor, segment.device, segment.sha256, segment.bytes, segment.policyHash,
                    segment.receivedAt.timeIntervalSince1970, segment.recordedAt.timeIntervalSince1970, segment.blob, segment.handle,
                ])
            _ = try Self.append(audit, in: db)
            return .inserted
        }
    }

    public func segment(_ id: String) async throws -> StoredSegment? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM segment WHERE id = ?", arguments: [id]).map(Self.segment) }
    }

    public func segment(handle: String) async throws -> StoredSegment? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM segment WHERE handle = ?", arguments: [handle]).map(Self.segment) }
    }

    public func segments(contributor: String) async throws -> [StoredSegment] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM segment WHERE contributor = ? ORDER BY received_at, id", arguments: [contributor]).map(
                Self.segment)
        }
    }

    public func segments(policyHash: String, recordedBefore cutoff: Date) async throws -> [StoredSegment] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM segment WHERE policy_hash = ? AND recorded_at < ? ORDER BY recorded_at",
                arguments: [policyHash, cutoff.timeIntervalSince1970]
            ).map(Self.segment)
        }
    }

    public func deleteSegment(_ id: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM review_verdict WHERE segment = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM segment WHERE id = ?", arguments: [id])
        }
    }

    public func pseudonymousSegments() async throws -> [PseudonymousSegment] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, c.pseudonym FROM segment s JOIN contributor c ON c.id = s.contributor ORDER BY s.received_at, s.id
                    """
            ).map { row in
                PseudonymousSegment(
                    id: row["id"], handle: row["handle"], pseudonym: row["pseudonym"], sha256: row["sha256"], bytes: row["bytes"],
                    policyHash: row["policy_hash"], receivedAt: Date(timeIntervalSince1970: row["received_at"]))
            }
        }
    }

    public func erasedPseudonyms() async throws -> [(pseudonym: String, erasedAt: Date)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT pseudonym, erased_at FROM contributor WHERE erased_at IS NOT NULL ORDER BY erased_at, pseudonym").map {
                row in
                (row["pseudonym"], Date(timeIntervalSince1970: row["erased_at"]))
            }
        }
    }

    public func recordVerdicts(_ verdicts: [StepVerdict]) async throws {
        try await write { db in
            for v in verdicts {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO review_verdict (segment, step, verdict, reason, reviewer, at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [v.segment, v.step, v.verdict.rawValue, v.reason, v.reviewer, v.at.timeIntervalSince1970])
            }
        }
    }

    public func verdicts(segment: String?) async throws -> [StepVerdict] {
        try await read { db in
            let rows =
                try segment.map { try Row.fetchAll(db, sql: "SELECT * FROM review_verdict WHERE segment = ? ORDER BY step", arguments: [$0]) }
                ?? Row.fetchAll(db, sql: "SELECT * FROM review_verdict ORDER BY segment, step")
            return rows.map { row in
                StepVerdict(
                    segment: row["segment"], step: row["step"], verdict: StepVerdict.Verdict(rawValue: row["verdict"]) ?? .bad,
                    reason: row["reason"], reviewer: row["reviewer"], at: Date(timeIntervalSince1970: row["at"]))
            }
        }
    }

    public func shredContributor(_ id: String, at: Date) async throws -> [StoredSegment] {
        let segments = try await write { db -> [StoredSegment] in
            try db.execute(sql: "UPDATE contributor SET wrapped_key = NULL, erased_at = ? WHERE id = ?", arguments: [at.timeIntervalSince1970, id])
            guard db.changesCount == 1 else { throw StoreError.notFound("contributor \(id)") }
            try db.execute(
                sql: "UPDATE device SET revoked_at = ? WHERE contributor = ? AND revoked_at IS NULL", arguments: [at.timeIntervalSince1970, id])
            try db.execute(sql: "DELETE FROM nonce WHERE device IN (SELECT id FROM device WHERE contributor = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM enrolment_code WHERE contributor = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM consent WHERE contributor = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM exemption_request WHERE contributor = ?", arguments: [id])
            return try Row.fetchAll(db, sql: "SELECT * FROM segment WHERE contributor = ?", arguments: [id]).map(Self.segment)
        }
        try await checkpoint()
        return segments
    }

    /// Moves the write-ahead log into the database and truncates it, so overwritten pages do
    /// not survive in the log either.
    private func checkpoint() async throws {
        do { _ = try await database.writeWithoutTransaction { try $0.checkpoint(.truncate) } } catch { throw StoreError.io("checkpoint: \(error)") }
    }

    private static func segment(_ row: Row) -> StoredSegment {
        StoredSegment(
            id: row["id"], contributor: row["contributor"], device: row["device"], sha256: row["sha256"], bytes: row["bytes"],
            policyHash: row["policy_hash"], receivedAt: Date(timeIntervalSince1970: row["received_at"]),
            recordedAt: (row["recorded_at"] as Double?).map(Date.init(timeIntervalSince1970:)), blob: row["blob"], handle: row["handle"] ?? row["id"])
    }

    // MARK: Audit

    public func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord {
        try await write { db in try Self.append(entry, in: db) }
    }

    private static func append(_ e: AuditEntry, in db: Database) throws -> AuditRecord {
        let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        let seq: Int64 = (last?["seq"] as Int64? ?? 0) + 1
        let previous: String = last?["hash"] ?? AuditChain.genesis
        let atMs = AuditChain.milliseconds(e.at)
        var record = AuditRecord(
            seq: seq, at: Date(timeIntervalSince1970: Double(atMs) / 1000), actor: e.actor, action: e.action,
            subject: e.subject, detail: e.detail, previousHash: previous, hash: "")
        record.hash = AuditChain.hash(of: record)
        try db.execute(
            sql: "INSERT INTO audit (seq, at_ms, actor, action, subject, detail, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [seq, atMs, e.actor, e.action, e.subject, e.detail, previous, record.hash])
        return record
    }

    public func auditRecords(subject: String?) async throws -> [AuditRecord] {
        try await read { db in
            let rows =
                try subject.map { try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE subject = ? ORDER BY seq", arguments: [$0]) }
                ?? Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq")
            return rows.map { row in
                AuditRecord(
                    seq: row["seq"], at: Date(timeIntervalSince1970: Double(row["at_ms"] as Int64) / 1000), actor: row["actor"],
                    action: row["action"],
                    subject: row["subject"], detail: row["detail"], previousHash: row["previous_hash"], hash: row["hash"])
            }
        }
    }
}

/// The audit log's hash chain: each record's hash covers its fields and the hash before it,
/// so removing or editing a record breaks every hash after it.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    public static func hash(of r: AuditRecord) -> String {
        let fields = [String(r.seq), String(milliseconds(r.at)), r.actor, r.action, r.subject ?? "", r.detail, r.previousHash]
        let text = fields.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
        return SHA256.hash(data: Data(text.utf8)).hexDigits
    }

    /// A record's time as it is stored and hashed: whole milliseconds since 1970.
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// The first record that breaks the chain (edited, or following a removed one), or nil when it holds.
    public static func firstBreak(in records: [AuditRecord]) -> AuditRecord? {
        var previous = genesis
        var expected: Int64 = 1
        for record in records {
            if record.seq != expected || record.previousHash != previous || hash(of: record) != record.hash { return record }
            previous = record.hash
            expected += 1
        }
        return nil
    }
}
