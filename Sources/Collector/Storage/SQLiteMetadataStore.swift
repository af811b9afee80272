import CollectorAPI
import Foundation
import GRDB
import Logging
import UnderstudyModel

/// The embedded metadata store: one SQLite database (WAL), built by migrations.
public final class SQLiteMetadataStore: MetadataStore {
    private let database: DatabasePool

    /// Opens the database at `path`, creating it when absent, and applies the migrations it lacks.
    ///
    /// - Parameter logger: Told each migration applied, by its identifier (at `info`), and how
    ///   many were applied (at `debug`); never a path or a row's content. Silent by default.
    public init(path: String, logger: Logger = Logger(label: "understudy.collector.storage", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Deleted rows are overwritten, so a destroyed data key cannot be read back from free pages.
        // SQL: a pragma has no query-interface form.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        let migrator = Self.migrator
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            let applied = try database.read { db in try migrator.appliedIdentifiers(db) }
            try migrator.migrate(database)
            // migrate(_:) applies every registered migration not applied before, or throws.
            let new = migrator.migrations.filter { !applied.contains($0) }
            for identifier in new { logger.info("metadata database migrated", metadata: ["migration": "\(identifier)"]) }
            logger.debug("metadata database open", metadata: ["migrations_applied": "\(new.count)", "migrations": "\(migrator.migrations.count)"])
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
            // SQL here and below: one statement fills the new column in every existing row, SQLite drawing the random values.
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
        migrator.registerMigration("v4: two-person approvals, device read scopes") { db in
            // Users and devices from before keep what they had: signed in, reading everything.
            try db.alter(table: "staff_user") { t in t.add(column: "awaiting_approval", .boolean).notNull().defaults(to: false) }
            try db.alter(table: "enrolment_code") { t in
                t.add(column: "approved_by", .text)
                t.add(column: "allows_history", .boolean).notNull().defaults(to: false)
            }
            try db.alter(table: "device") { t in t.add(column: "reads_from", .double) }
        }
        migrator.registerMigration("v5: the contributor's name and address for their device, until enrolment") { db in
            try db.alter(table: "enrolment_code") { t in
                t.add(column: "display_name", .text)
                t.add(column: "email", .text)
            }
        }
        migrator.registerMigration("v6: dataset exports") { db in
            try db.create(table: "dataset_export") { t in
                t.primaryKey("id", .text)
                t.column("scientist", .text).notNull()
                t.column("registered_at", .double).notNull()
                // The registration as its wire JSON: read back whole, never queried inside.
                t.column("registration", .text).notNull()
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
        try await write { db in try StaffUserRow(user).insert(db) }
    }

    public func user(named name: String) async throws -> StaffUser? {
        try await read { db in try StaffUserRow.fetchOne(db, key: name)?.model }
    }

    public func users() async throws -> [StaffUser] {
        try await read { db in try StaffUserRow.order(StaffUserRow.Columns.name).fetchAll(db).compactMap(\.model) }
    }

    public func approveUser(_ name: String) async throws -> Bool {
        try await write { db in
            try StaffUserRow.filter(key: name).filter(StaffUserRow.Columns.awaitingApproval == true)
                .updateAll(db, StaffUserRow.Columns.awaitingApproval.set(to: false)) == 1
        }
    }

    public func deleteUser(_ name: String) async throws -> Bool {
        try await write { db in
            try StaffSessionRow.filter(StaffSessionRow.Columns.user == name).deleteAll(db)
            return try StaffUserRow.deleteOne(db, key: name)
        }
    }

    public func replaceKey(of name: String, keyHash: String) async throws -> Bool {
        try await write { db in
            try StaffSessionRow.filter(StaffSessionRow.Columns.user == name).deleteAll(db)
            return try StaffUserRow.filter(key: name).updateAll(db, StaffUserRow.Columns.keyHash.set(to: keyHash)) == 1
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        _ = try await write { db in try StaffSessionRow.deleteOne(db, key: tokenHash) }
    }

    public func createSession(tokenHash: String, user: String, expiresAt: Date, now: Date) async throws {
        try await write { db in
            try StaffSessionRow.filter(StaffSessionRow.Columns.expiresAt < now.timeIntervalSince1970).deleteAll(db)
            try StaffSessionRow(tokenHash: tokenHash, user: user, expiresAt: expiresAt).insert(db)
        }
    }

    public func sessionUser(tokenHash: String, now: Date) async throws -> StaffUser? {
        try await read { db in
            let session = StaffUserRow.sessions.filter(key: tokenHash).filter(StaffSessionRow.Columns.expiresAt > now.timeIntervalSince1970)
            return try StaffUserRow.joining(required: session).fetchOne(db)?.model
        }
    }

    public func ensureContributor(_ contributor: Contributor) async throws -> Contributor {
        // A new contributor is not erased, whatever `erasedAt` says.
        let new = Contributor(
            id: contributor.id, pseudonym: contributor.pseudonym, createdAt: contributor.createdAt, wrappedKey: contributor.wrappedKey)
        return try await write { db in
            try ContributorRow(new).insert(db, onConflict: .ignore)
            return try ContributorRow.find(db, key: contributor.id).model
        }
    }

    public func contributor(_ id: String) async throws -> Contributor? {
        try await read { db in try ContributorRow.fetchOne(db, key: id)?.model }
    }

    public func addExemptionRequest(_ r: ExemptionDecision) async throws {
        // A request arrives pending and undecided, whatever it says.
        let new = ExemptionDecision(
            contributor: r.contributor, id: r.id, kind: r.kind, value: r.value, reason: r.reason, requestedAt: r.requestedAt, from: r.from,
            until: r.until)
        try await write { db in try ExemptionRequestRow(new).insert(db, onConflict: .ignore) }
    }

    public func exemptionRequests(contributor: String?, status: ExemptionDecision.Status?) async throws -> [ExemptionDecision] {
        typealias Columns = ExemptionRequestRow.Columns
        return try await read { db in
            var request = ExemptionRequestRow.order(Columns.requestedAt, Columns.contributor, Columns.id)
            if let contributor { request = request.filter(Columns.contributor == contributor) }
            if let status { request = request.filter(Columns.status == status.rawValue) }
            return try request.fetchAll(db).map(\.model)
        }
    }

    public func decideExemption(contributor: String, id: String, approved: Bool, by: String, note: String?, at: Date) async throws -> Bool {
        typealias Columns = ExemptionRequestRow.Columns
        let pending = ExemptionDecision.Status.pending.rawValue
        let decision = (approved ? ExemptionDecision.Status.approved : .denied).rawValue
        return try await write { db in
            let decided = try ExemptionRequestRow.filter(Columns.contributor == contributor && Columns.id == id && Columns.status == pending)
                .updateAll(
                    db, Columns.status.set(to: decision), Columns.decidedAt.set(to: at.timeIntervalSince1970), Columns.decidedBy.set(to: by),
                    Columns.note.set(to: note))
            return decided == 1
        }
    }

    public func bytesStored(contributor: String) async throws -> Int64 {
        try await read { db in
            try SegmentRow.filter(SegmentRow.Columns.contributor == contributor).select(sum(SegmentRow.Columns.bytes), as: Int64.self).fetchOne(db)
                ?? 0
        }
    }

    public func totals() async throws -> (contributors: Int, segments: Int, bytes: Int64) {
        try await read { db in
            // SQL: three aggregates in one statement read more plainly than their query-interface form.
            let row = try Row.fetchOne(db, sql: "SELECT count(DISTINCT contributor) AS c, count(*) AS s, coalesce(sum(bytes), 0) AS b FROM segment")
            return (row?["c"] ?? 0, row?["s"] ?? 0, row?["b"] ?? 0)
        }
    }

    public func rewrapDataKeys(_ rewrap: @escaping @Sendable (String, Data) throws -> Data) async throws -> Int {
        let count = try await write { db -> Int in
            let rows = try ContributorRow.filter(ContributorRow.Columns.wrappedKey != nil).fetchAll(db)
            for var row in rows {
                guard let wrapped = row.wrappedKey else { continue }
                row.wrappedKey = try rewrap(row.id, wrapped)
                try row.update(db, columns: [ContributorRow.Columns.wrappedKey])
            }
            return rows.count
        }
        try await checkpoint()
        return count
    }

    // MARK: Enrolment and devices

    public func createCode(_ code: EnrolmentCode) async throws {
        // A new code is unused and unapproved, whatever the value says.
        let new = EnrolmentCode(
            codeHash: code.codeHash, contributor: code.contributor, expiresAt: code.expiresAt, createdBy: code.createdBy, identity: code.identity)
        try await write { db in try EnrolmentCodeRow(new).insert(db) }
    }

    public func redeemCode(hash: String, now: Date) async throws -> CodeRedemption {
        let redemption = try await redeem(hash: hash, now: now)
        // The log still holds the name and address the code carried: empty it, as forgetting does.
        if case .redeemed(let code, _) = redemption, code.identity != nil { try await checkpoint() }
        return redemption
    }

    private func redeem(hash: String, now: Date) async throws -> CodeRedemption {
        try await write { db in
            guard let row = try Self.open(EnrolmentCodeRow.filter(key: hash), now: now).fetchOne(db) else { return .refused }
            let hasDevice = try DeviceRow.filter(DeviceRow.Columns.contributor == row.contributor).fetchCount(db) > 0
            let usedCodes = try EnrolmentCodeRow.filter(EnrolmentCodeRow.Columns.contributor == row.contributor)
                .filter(EnrolmentCodeRow.Columns.usedAt != nil).fetchCount(db)
            let first = !hasDevice && usedCodes == 0
            guard first || row.approvedBy != nil else { return .awaitingApproval(row.model) }
            // The name and address go to the device and are forgotten here.
            try EnrolmentCodeRow.filter(key: hash).updateAll(
                db, EnrolmentCodeRow.Columns.usedAt.set(to: now.timeIntervalSince1970), EnrolmentCodeRow.Columns.displayName.set(to: nil),
                EnrolmentCodeRow.Columns.email.set(to: nil))
            var redeemed = row.model
            redeemed.usedAt = now
            return .redeemed(redeemed, firstDevice: first)
        }
    }

    /// The codes of `request` that are unused and unexpired.
    private static func open(_ request: QueryInterfaceRequest<EnrolmentCodeRow>, now: Date) -> QueryInterfaceRequest<EnrolmentCodeRow> {
        request.filter(EnrolmentCodeRow.Columns.usedAt == nil && EnrolmentCodeRow.Columns.expiresAt > now.timeIntervalSince1970)
    }

    /// The open code an id names: its hash begins with the id (16 hex digits, so `LIKE` sees no wildcard).
    private static func open(id: String, contributor: String?, now: Date) -> QueryInterfaceRequest<EnrolmentCodeRow> {
        var request = open(EnrolmentCodeRow.filter(EnrolmentCodeRow.Columns.codeHash.like(id + "%")), now: now)
        if let contributor { request = request.filter(EnrolmentCodeRow.Columns.contributor == contributor) }
        return request
    }

    public func code(hash: String) async throws -> EnrolmentCode? {
        try await read { db in try EnrolmentCodeRow.fetchOne(db, key: hash)?.model }
    }

    public func openCodes(contributor: String?, now: Date) async throws -> [EnrolmentCode] {
        try await read { db in
            var request = Self.open(EnrolmentCodeRow.all(), now: now)
            if let contributor { request = request.filter(EnrolmentCodeRow.Columns.contributor == contributor) }
            return try request.order(EnrolmentCodeRow.Columns.expiresAt, EnrolmentCodeRow.Columns.codeHash).fetchAll(db).map(\.model)
        }
    }

    public func approveCode(id: String, contributor: String?, by: String, allowsHistory: Bool, now: Date) async throws -> EnrolmentCode? {
        guard id.isHex(digits: 16) else { return nil }
        return try await write { db in
            let request = Self.open(id: id, contributor: contributor, now: now).filter(EnrolmentCodeRow.Columns.approvedBy == nil)
            guard var row = try request.fetchOne(db) else { return nil }
            (row.approvedBy, row.allowsHistory) = (by, allowsHistory)
            try row.update(db)
            return row.model
        }
    }

    public func deleteCode(id: String, contributor: String, now: Date) async throws -> Bool {
        guard id.isHex(digits: 16) else { return false }
        return try await write { db in try Self.open(id: id, contributor: contributor, now: now).deleteAll(db) == 1 }
    }

    public func addDevice(_ device: Device) async throws {
        // A device is enrolled unrevoked, whatever `revokedAt` says.
        let new = Device(
            id: device.id, contributor: device.contributor, publicKey: device.publicKey, name: device.name, enrolledAt: device.enrolledAt,
            readsFrom: device.readsFrom)
        try await write { db in try DeviceRow(new).insert(db) }
    }

    public func device(_ id: String) async throws -> Device? {
        try await read { db in try DeviceRow.fetchOne(db, key: id)?.model }
    }

    public func devices() async throws -> [Device] {
        try await read { db in try DeviceRow.order(DeviceRow.Columns.enrolledAt, DeviceRow.Columns.id).fetchAll(db).map(\.model) }
    }

    public func revokeDevice(_ id: String, at: Date) async throws -> Bool {
        try await write { db in
            let revoked = try DeviceRow.filter(key: id).filter(DeviceRow.Columns.revokedAt == nil)
                .updateAll(db, DeviceRow.Columns.revokedAt.set(to: at.timeIntervalSince1970))
            return revoked == 1
        }
    }

    public func useNonce(device: String, nonce: String, expiresAt: Date, now: Date) async throws -> Bool {
        try await write { db in
            try NonceRow.filter(NonceRow.Columns.expiresAt < now.timeIntervalSince1970).deleteAll(db)
            try NonceRow(device: device, nonce: nonce, expiresAt: expiresAt).insert(db, onConflict: .ignore)
            // An ignored insertion changes no row: the device used this nonce before.
            return db.changesCount == 1
        }
    }

    // MARK: Policies and consent

    public func publish(_ policy: PublishedPolicy) async throws {
        try await write { db in try PolicyRow(policy).insert(db, onConflict: .ignore) }
    }

    public func policy(hash: String) async throws -> PublishedPolicy? {
        try await read { db in try PolicyRow.fetchOne(db, key: hash)?.model }
    }

    public func policies() async throws -> [PublishedPolicy] {
        try await read { db in try PolicyRow.order(PolicyRow.Columns.publishedAt, PolicyRow.Columns.hash).fetchAll(db).map(\.model) }
    }

    public func recordConsent(contributor: String, policyHash: String, acceptedAt: Date) async throws {
        try await write { db in
            try ConsentRow(contributor: contributor, policyHash: policyHash, acceptedAt: acceptedAt).insert(db, onConflict: .replace)
        }
    }

    public func withdrawConsents(contributor: String, acceptedBefore: Date) async throws -> Int {
        try await write { db in
            try ConsentRow.filter(ConsentRow.Columns.contributor == contributor)
                .filter(ConsentRow.Columns.acceptedAt <= acceptedBefore.timeIntervalSince1970).deleteAll(db)
        }
    }

    public func hasConsent(contributor: String, policyHash: String) async throws -> Bool {
        try await read { db in try ConsentRow.exists(db, key: ["contributor": contributor, "policy_hash": policyHash]) }
    }

    public func consents(contributor: String) async throws -> [String] {
        try await read { db in
            try ConsentRow.filter(ConsentRow.Columns.contributor == contributor)
                .order(ConsentRow.Columns.acceptedAt, ConsentRow.Columns.policyHash)
                .select(ConsentRow.Columns.policyHash, as: String.self)
                .fetchAll(db)
        }
    }

    // MARK: Segments

    public func insertSegment(_ segment: StoredSegment, audit: AuditEntry) async throws -> SegmentInsertion {
        try await write { db in
            if let existing = try SegmentRow.fetchOne(db, key: segment.id) { return .exists(existing.model) }
            if try ContributorRow.fetchOne(db, key: segment.contributor)?.erasedAt != nil { return .erased }
            try SegmentRow(segment).insert(db)
            _ = try Self.append(audit, in: db)
            return .inserted
        }
    }

    public func segment(_ id: String) async throws -> StoredSegment? {
        try await read { db in try SegmentRow.fetchOne(db, key: id)?.model }
    }

    public func segment(handle: String) async throws -> StoredSegment? {
        try await read { db in try SegmentRow.filter(SegmentRow.Columns.handle == handle).fetchOne(db)?.model }
    }

    public func segments(contributor: String) async throws -> [StoredSegment] {
        try await read { db in
            try SegmentRow.filter(SegmentRow.Columns.contributor == contributor).order(SegmentRow.Columns.receivedAt, SegmentRow.Columns.id)
                .fetchAll(db).map(\.model)
        }
    }

    public func segments(policyHash: String, recordedBefore cutoff: Date) async throws -> [StoredSegment] {
        try await read { db in
            try SegmentRow.filter(SegmentRow.Columns.policyHash == policyHash && SegmentRow.Columns.recordedAt < cutoff.timeIntervalSince1970)
                .order(SegmentRow.Columns.recordedAt).fetchAll(db).map(\.model)
        }
    }

    public func deleteSegment(_ id: String) async throws {
        try await write { db in
            try ReviewVerdictRow.filter(ReviewVerdictRow.Columns.segment == id).deleteAll(db)
            try SegmentRow.deleteOne(db, key: id)
        }
    }

    public func pseudonymousSegments() async throws -> [PseudonymousSegment] {
        try await read { db in
            try SegmentRow.annotated(withRequired: SegmentRow.contributorRow.select(ContributorRow.Columns.pseudonym))
                .order(SegmentRow.Columns.handle)
                .asRequest(of: PseudonymousSegmentRow.self)
                .fetchAll(db).map(\.model)
        }
    }

    public func erasedPseudonyms() async throws -> [(pseudonym: String, erasedAt: Date)] {
        try await read { db in
            try ContributorRow.filter(ContributorRow.Columns.erasedAt != nil).order(ContributorRow.Columns.erasedAt, ContributorRow.Columns.pseudonym)
                .fetchAll(db).compactMap { row in row.erasedAt.map { (pseudonym: row.pseudonym ?? "", erasedAt: $0) } }
        }
    }

    public func recordVerdicts(_ verdicts: [StepVerdict]) async throws {
        try await write { db in
            for verdict in verdicts { try ReviewVerdictRow(verdict).insert(db, onConflict: .replace) }
        }
    }

    public func verdicts(segment: String?) async throws -> [StepVerdict] {
        try await read { db in
            var request = ReviewVerdictRow.order(ReviewVerdictRow.Columns.segment, ReviewVerdictRow.Columns.step)
            if let segment { request = request.filter(ReviewVerdictRow.Columns.segment == segment) }
            return try request.fetchAll(db).map(\.model)
        }
    }

    public func shredContributor(_ id: String, at: Date) async throws -> [StoredSegment] {
        let segments = try await write { db -> [StoredSegment] in
            let erased = try ContributorRow.filter(key: id)
                .updateAll(db, ContributorRow.Columns.wrappedKey.set(to: nil), ContributorRow.Columns.erasedAt.set(to: at.timeIntervalSince1970))
            guard erased == 1 else { throw StoreError.notFound("contributor \(id)") }
            try DeviceRow.filter(DeviceRow.Columns.contributor == id && DeviceRow.Columns.revokedAt == nil)
                .updateAll(db, DeviceRow.Columns.revokedAt.set(to: at.timeIntervalSince1970))
            try DeviceRow.filter(DeviceRow.Columns.contributor == id).updateAll(db, DeviceRow.Columns.name.set(to: ""))
            let devices = DeviceRow.filter(DeviceRow.Columns.contributor == id).select(DeviceRow.Columns.id)
            try NonceRow.filter(devices.contains(NonceRow.Columns.device)).deleteAll(db)
            try EnrolmentCodeRow.filter(EnrolmentCodeRow.Columns.contributor == id).deleteAll(db)
            try ConsentRow.filter(ConsentRow.Columns.contributor == id).deleteAll(db)
            try ExemptionRequestRow.filter(ExemptionRequestRow.Columns.contributor == id).deleteAll(db)
            return try SegmentRow.filter(SegmentRow.Columns.contributor == id).fetchAll(db).map(\.model)
        }
        try await checkpoint()
        return segments
    }

    /// Moves the write-ahead log into the database and truncates it, so overwritten pages do
    /// not survive in the log either.
    private func checkpoint() async throws {
        do { _ = try await database.writeWithoutTransaction { try $0.checkpoint(.truncate) } } catch { throw StoreError.io("checkpoint: \(error)") }
    }

    // MARK: Dataset exports

    public func addExport(_ export: StoredExport, audit: AuditEntry) async throws {
        let row = try DatasetExportRow(export)
        try await write { db in
            try row.insert(db)
            _ = try Self.append(audit, in: db)
        }
    }

    public func exports() async throws -> [StoredExport] {
        try await read { db in
            try DatasetExportRow.order(DatasetExportRow.Columns.registeredAt, DatasetExportRow.Columns.id).fetchAll(db).map { try $0.model() }
        }
    }

    public func export(_ id: String) async throws -> StoredExport? {
        try await read { db in try DatasetExportRow.fetchOne(db, key: id)?.model() }
    }

    // MARK: Audit

    public func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord {
        try await write { db in try Self.append(entry, in: db) }
    }

    /// Appends `entry` after the record with the highest `seq`, inside the caller's transaction.
    private static func append(_ entry: AuditEntry, in db: Database) throws -> AuditRecord {
        let last = try AuditRow.order(AuditRow.Columns.seq.desc).fetchOne(db)
        let atMs = AuditChain.milliseconds(entry.at)
        var record = AuditRecord(
            seq: (last?.seq ?? 0) + 1, at: Date(timeIntervalSince1970: Double(atMs) / 1000), actor: entry.actor, action: entry.action,
            subject: entry.subject, detail: entry.detail, previousHash: last?.hash ?? AuditChain.genesis, hash: "")
        record.hash = AuditChain.hash(of: record)
        try AuditRow(record, atMs: atMs).insert(db)
        return record
    }

    public func auditRecords(subject: String?, from: Date?, after: Int64, limit: Int) async throws -> [AuditRecord] {
        try await read { db in
            var request = AuditRow.filter(AuditRow.Columns.seq > after).order(AuditRow.Columns.seq)
            if let subject { request = request.filter(AuditRow.Columns.subject == subject) }
            if let from { request = request.filter(AuditRow.Columns.atMs >= Int64((from.timeIntervalSince1970 * 1000).rounded(.down))) }
            if limit < Int.max { request = request.limit(limit) }
            return try request.fetchAll(db).map(\.model)
        }
    }
}
