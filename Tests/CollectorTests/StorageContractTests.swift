import Collector
import CollectorAPI
import Crypto
import Foundation
import Testing

/// What every metadata and blob store must do. Each backend runs this same suite; the
/// embedded one (SQLite and a directory) here, PostgreSQL and S3 when they come.
enum StoreContract {
    static func metadata(_ store: any MetadataStore) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        // People and sessions.
        try await store.createUser(StaffUser(name: "ana", role: .privacyOfficer, keyHash: "k1", createdAt: now))
        await #expect(throws: StoreError.self) { try await store.createUser(StaffUser(name: "ana", role: .admin, keyHash: "k2", createdAt: now)) }
        #expect(try await store.user(named: "ana")?.role == .privacyOfficer)
        try await store.createSession(tokenHash: "t1", user: "ana", expiresAt: now.addingTimeInterval(60), now: now)
        #expect(try await store.sessionUser(tokenHash: "t1", now: now)?.name == "ana")
        #expect(try await store.sessionUser(tokenHash: "t1", now: now.addingTimeInterval(61)) == nil)

        // A contributor is created once; a second creation returns the first.
        let first = try await store.ensureContributor(Contributor(id: "c1", createdAt: now, wrappedKey: Data([1]), erasedAt: nil))
        let again = try await store.ensureContributor(Contributor(id: "c1", createdAt: now, wrappedKey: Data([2]), erasedAt: nil))
        #expect(first.wrappedKey == Data([1]) && again.wrappedKey == Data([1]))
        // Rotation rewraps every key, or none when one fails.
        struct Refused: Error {}
        await #expect(throws: (any Error).self) { try await store.rewrapDataKeys { _, _ in throw Refused() } }
        #expect(try await store.contributor("c1")?.wrappedKey == Data([1]))
        #expect(try await store.rewrapDataKeys { _, old in old + Data([9]) } == 1)
        #expect(try await store.contributor("c1")?.wrappedKey == Data([1, 9]))

        // Codes are redeemed once, and not after they expire.
        try await store.createCode(EnrolmentCode(codeHash: "h1", contributor: "c1", expiresAt: now.addingTimeInterval(60), createdBy: "admin"))
        try await store.createCode(EnrolmentCode(codeHash: "h2", contributor: "c1", expiresAt: now.addingTimeInterval(60), createdBy: "admin"))
        #expect(try await store.redeemCode(hash: "h1", now: now) == .redeemed(try #require(try await store.code(hash: "h1")), firstDevice: true))
        #expect(try await store.redeemCode(hash: "h1", now: now) == .refused)
        #expect(try await store.redeemCode(hash: "h2", now: now.addingTimeInterval(61)) == .refused)
        #expect(try await store.code(hash: "h1")?.usedAt != nil)
        // The name and address given with a code come back once, at redemption, and are forgotten.
        let person = ContributorIdentity(displayName: "Alice Martin", email: "alice.martin@acme.example")
        try await store.createCode(
            EnrolmentCode(codeHash: "h3", contributor: "c3", expiresAt: now.addingTimeInterval(60), createdBy: "admin", identity: person))
        #expect(try await store.code(hash: "h3")?.identity == person)
        guard case .redeemed(let redeemed, _) = try await store.redeemCode(hash: "h3", now: now) else {
            Issue.record("the code with a name was not redeemed")
            return
        }
        #expect(redeemed.identity == person)
        #expect(try await store.code(hash: "h3")?.identity == nil)

        // Devices are revoked once.
        try await store.addDevice(Device(id: "d1", contributor: "c1", publicKey: Data(repeating: 7, count: 32), name: "laptop", enrolledAt: now))
        #expect(try await store.revokeDevice("d1", at: now))
        #expect(try await !store.revokeDevice("d1", at: now))
        #expect(try await store.device("d1")?.revokedAt != nil)

        // A nonce is used once within its window.
        #expect(try await store.useNonce(device: "d1", nonce: "n", expiresAt: now.addingTimeInterval(600), now: now))
        #expect(try await !store.useNonce(device: "d1", nonce: "n", expiresAt: now.addingTimeInterval(600), now: now))
        #expect(try await store.useNonce(device: "d2", nonce: "n", expiresAt: now.addingTimeInterval(600), now: now))

        // Policies and consent.
        try await store.publish(
            PublishedPolicy(
                hash: "p1", name: "org", version: 1, document: Data("doc".utf8), signature: Data("sig".utf8),
                publishedAt: now, publishedBy: "ana"))
        #expect(try await store.policy(hash: "p1")?.document == Data("doc".utf8))
        #expect(try await !store.hasConsent(contributor: "c1", policyHash: "p1"))
        try await store.recordConsent(contributor: "c1", policyHash: "p1", acceptedAt: now)
        #expect(try await store.hasConsent(contributor: "c1", policyHash: "p1"))
        #expect(try await store.consents(contributor: "c1") == ["p1"])
        #expect(try await store.consents(contributor: "c2").isEmpty)

        // A segment id is inserted once; the second insertion sees the first.
        let segment = StoredSegment(id: "s1", contributor: "c1", device: "d1", sha256: "aa", bytes: 10, policyHash: "p1", receivedAt: now, blob: "b1")
        let stored = AuditEntry(at: now, actor: "device:d1", action: "segment_stored", subject: "c1")
        #expect(try await store.insertSegment(segment, audit: stored) == .inserted)
        var other = segment
        other.sha256 = "bb"
        #expect(try await store.insertSegment(other, audit: stored) == .exists(segment))
        #expect(try await store.auditRecords(subject: "c1").map(\.action) == ["segment_stored"], "inserted with its audit record, once")
        #expect(try await store.segment("s1")?.recordedAt == now, "without a recording time, the upload's")
        #expect(try await store.segments(contributor: "c1") == [segment])
        let totals = try await store.totals()
        #expect(totals.contributors == 1 && totals.segments == 1 && totals.bytes == 10)
        #expect(try await store.bytesStored(contributor: "c1") == 10, "what quotas count")
        #expect(try await store.bytesStored(contributor: "c2") == 0)

        // Reviewers and scientists see segments under the contributor's pseudonym, never the id.
        let listed = try await store.pseudonymousSegments()
        #expect(listed.map(\.id) == ["s1"] && listed.first?.pseudonym == first.pseudonym)
        #expect(listed.first?.handle == segment.handle && segment.handle.hasPrefix("s-") && segment.handle != segment.id)
        #expect(try await store.segment(handle: segment.handle)?.id == "s1")
        #expect(try await store.segment(handle: "s1") == nil, "an id is not a handle")
        #expect(first.pseudonym.hasPrefix("p-") && first.pseudonym != "c1" && listed.first?.pseudonym != nil)
        // A verdict on a step replaces the earlier one on it.
        try await store.recordVerdicts([StepVerdict(segment: "s1", step: 4, verdict: .bad, reason: "unredacted", reviewer: "rev", at: now)])
        try await store.recordVerdicts([
            StepVerdict(segment: "s1", step: 4, verdict: .good, reason: nil, reviewer: "rev", at: now),
            StepVerdict(segment: "s1", step: 9, verdict: .bad, reason: "wrong_action", reviewer: "rev", at: now),
        ])
        #expect(try await store.verdicts(segment: "s1").map(\.verdict) == [.good, .bad])
        #expect(try await store.verdicts(segment: nil).map(\.step) == [4, 9])

        // Retention finds old segments by policy; erasure shreds the key first and leaves a tombstone.
        #expect(try await store.segments(policyHash: "p1", recordedBefore: now) == [])
        #expect(try await store.segments(policyHash: "p1", recordedBefore: now.addingTimeInterval(1)) == [segment])
        // Retention counts from when the recording ended, not from the upload.
        let older = StoredSegment(
            id: "s0", contributor: "c1", device: "d1", sha256: "cc", bytes: 5, policyHash: "p1", receivedAt: now,
            recordedAt: now.addingTimeInterval(-3600), blob: "b0")
        #expect(
            try await store.insertSegment(older, audit: AuditEntry(at: now, actor: "device:d1", action: "segment_stored", subject: "c0")) == .inserted
        )
        #expect(try await store.segments(policyHash: "p1", recordedBefore: now.addingTimeInterval(-60)) == [older])
        #expect(
            StoredSegment(
                id: "x", contributor: "c", device: "d", sha256: "", bytes: 0, policyHash: "p", receivedAt: now,
                recordedAt: now.addingTimeInterval(60), blob: ""
            ).recordedAt == now, "a recording cannot end after its upload")
        try await store.deleteSegment("s0")
        try await store.addDevice(Device(id: "d3", contributor: "c1", publicKey: Data(repeating: 8, count: 32), name: "desktop", enrolledAt: now))
        #expect(try await store.shredContributor("c1", at: now) == [segment])
        let tombstone = try await store.contributor("c1")
        #expect(tombstone?.wrappedKey == nil && tombstone?.erasedAt == now)
        let erased = try await store.erasedPseudonyms()
        #expect(erased.map(\.pseudonym) == [first.pseudonym] && erased.map(\.erasedAt) == [now], "the tombstone keeps the pseudonym")
        #expect(try await store.device("d3")?.revokedAt == now)
        #expect(try await store.devices().filter { $0.contributor == "c1" }.allSatisfy { $0.name.isEmpty }, "device names go with the person")
        #expect(try await !store.hasConsent(contributor: "c1", policyHash: "p1"))
        let recreated = try await store.ensureContributor(Contributor(id: "c1", createdAt: now, wrappedKey: Data([3]), erasedAt: nil))
        #expect(recreated.wrappedKey == nil, "an erased contributor does not get a new key")
        // An upload that was in flight during the erasure inserts nothing after it, and audits nothing.
        let late = StoredSegment(id: "s9", contributor: "c1", device: "d1", sha256: "dd", bytes: 3, policyHash: "p1", receivedAt: now, blob: "b9")
        let auditBefore = try await store.auditRecords(subject: "c1").count
        #expect(try await store.insertSegment(late, audit: stored) == .erased)
        #expect(try await store.segment("s9") == nil)
        #expect(try await store.auditRecords(subject: "c1").count == auditBefore, "no segment_stored after contributor_erased")
        try await store.deleteSegment("s1")
        #expect(try await store.segment("s1") == nil)
        #expect(try await store.verdicts(segment: nil).isEmpty, "verdicts go with their segment")
        await #expect(throws: StoreError.self) { try await store.shredContributor("nobody", at: now) }

        // The audit log is a chain; editing a record breaks it there.
        for n in 0..<3 {
            _ = try await store.appendAudit(
                AuditEntry(at: now.addingTimeInterval(Double(n)), actor: "system", action: "a\(n)", subject: n == 1 ? "c1" : nil))
        }
        let log = try await store.auditRecords(subject: nil)
        #expect(log.map(\.seq) == [1, 2, 3, 4, 5] && AuditChain.firstBreak(in: log) == nil)
        // Read a page at a time: after a sequence number, at most so many.
        #expect(try await store.auditRecords(subject: nil, after: 1, limit: 2).map(\.seq) == [2, 3])
        #expect(try await store.auditRecords(subject: nil, after: 5, limit: 10).isEmpty)
        #expect(try await store.auditRecords(subject: "c1").map(\.action) == ["segment_stored", "a1"])
        var edited = log
        edited[3].detail = "{\"changed\":true}"
        #expect(AuditChain.firstBreak(in: edited)?.seq == 4)
        #expect(AuditChain.firstBreak(in: [log[0], log[1], log[2], log[4]])?.seq == 5)
    }

    /// Registered exports come back whole, oldest first, each with its audit record; one id is
    /// registered once.
    static func exports(_ store: any MetadataStore) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try await store.exports().isEmpty)
        let registration = DatasetExportRegistration(
            format: "jsonl", episodes: 2, steps: 9, frames: 4, segments: ["s-1", "s-2"],
            sessions: [ExportedSession(id: "a", contributor: "p-1"), ExportedSession(id: "b", contributor: "p-2")], manifest: "{\"x\": 1}")
        let later = StoredExport(id: "x-2", scientist: "sam", registeredAt: now.addingTimeInterval(60), registration: registration)
        var earlier = later
        (earlier.id, earlier.registeredAt, earlier.registration.format) = ("x-1", now, "html")
        for export in [later, earlier] {
            try await store.addExport(export, audit: AuditEntry(at: export.registeredAt, actor: "user:sam", action: "dataset_export_registered"))
        }
        #expect(try await store.exports() == [earlier, later])
        #expect(try await store.export("x-2") == later)
        #expect(try await store.export("x-3") == nil)
        await #expect(throws: StoreError.self) {
            try await store.addExport(later, audit: AuditEntry(at: now, actor: "user:sam", action: "dataset_export_registered"))
        }
        #expect(
            try await store.auditRecords(subject: nil).filter { $0.action == "dataset_export_registered" }.count == 2, "a refused one is not audited")
    }

    /// Two people, not one: codes for a contributor who has a device wait for an approval, and
    /// users awaiting approval are approved once.
    static func approvals(_ store: any MetadataStore) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let later = now.addingTimeInterval(60)
        func hash(_ n: Int) -> String { String(repeating: String(n), count: 64) }
        for n in 1...5 { try await store.createCode(EnrolmentCode(codeHash: hash(n), contributor: "bo", expiresAt: later, createdBy: "admin")) }
        try await store.createCode(EnrolmentCode(codeHash: hash(6), contributor: "cy", expiresAt: later, createdBy: "admin"))
        #expect(try await store.openCodes(contributor: "bo", now: now).map(\.id) == (1...5).map { String(hash($0).prefix(16)) })

        // The first code of a contributor enrols; after it every code waits, unused, for an approval.
        guard case .redeemed(_, firstDevice: true) = try await store.redeemCode(hash: hash(1), now: now) else {
            Issue.record("the first code did not enrol")
            return
        }
        #expect(try await store.redeemCode(hash: hash(2), now: now) == .awaitingApproval(try #require(try await store.code(hash: hash(2)))))
        #expect(try await store.code(hash: hash(2))?.usedAt == nil, "a code awaiting approval stays unused")
        try await store.addDevice(Device(id: "dev-bo", contributor: "bo", publicKey: Data(repeating: 1, count: 32), name: "", enrolledAt: now))

        // The contributor approves for their own codes only; an approval is given once.
        let id2 = String(hash(2).prefix(16))
        #expect(try await store.approveCode(id: id2, contributor: "cy", by: "device:dev-cy", allowsHistory: true, now: now) == nil)
        let approved = try await store.approveCode(id: id2, contributor: "bo", by: "device:dev-bo", allowsHistory: true, now: now)
        #expect(approved?.approvedBy == "device:dev-bo" && approved?.allowsHistory == true)
        #expect(try await store.approveCode(id: id2, contributor: nil, by: "user:ana", allowsHistory: false, now: now) == nil)
        guard case .redeemed(let redeemed, firstDevice: false) = try await store.redeemCode(hash: hash(2), now: now) else {
            Issue.record("an approved code did not enrol")
            return
        }
        #expect(redeemed.allowsHistory && redeemed.usedAt == now)
        // A privacy officer's approval (any contributor) gives no history; expired codes cannot be approved.
        let id3 = String(hash(3).prefix(16))
        #expect(try await store.approveCode(id: id3, contributor: nil, by: "user:ana", allowsHistory: false, now: later) == nil, "expired")
        #expect(try await store.approveCode(id: id3, contributor: nil, by: "user:ana", allowsHistory: false, now: now)?.allowsHistory == false)
        #expect(try await store.approveCode(id: "%", contributor: nil, by: "user:ana", allowsHistory: false, now: now) == nil, "not an id")
        // A refused code is gone; only the contributor's own can be refused.
        let id4 = String(hash(4).prefix(16))
        #expect(try await !store.deleteCode(id: id4, contributor: "cy", now: now))
        #expect(try await store.deleteCode(id: id4, contributor: "bo", now: now))
        #expect(try await store.code(hash: hash(4)) == nil)
        #expect(try await store.redeemCode(hash: hash(4), now: now) == .refused)
        #expect(
            try await store.openCodes(contributor: nil, now: now).map(\.id).sorted() == [hash(3), hash(5), hash(6)].map { String($0.prefix(16)) })

        // A device reads from its `readsFrom` on, and the audit log is read from that time too.
        let scoped = Device(id: "d", contributor: "bo", publicKey: Data(), name: "", enrolledAt: later, readsFrom: later)
        #expect(
            scoped.mayRead(later) && !scoped.mayRead(now)
                && Device(id: "d", contributor: "bo", publicKey: Data(), name: "", enrolledAt: later).mayRead(now))
        _ = try await store.appendAudit(AuditEntry(at: now, actor: "system", action: "before", subject: "bo"))
        _ = try await store.appendAudit(AuditEntry(at: later, actor: "system", action: "after", subject: "bo"))
        #expect(try await store.auditRecords(subject: "bo", from: later, after: 0, limit: 10).map(\.action) == ["after"])
        #expect(try await store.auditRecords(subject: "bo", from: nil, after: 0, limit: 10).map(\.action) == ["before", "after"])

        // A withdrawal ends the consents accepted up to it, not one given after.
        try await store.recordConsent(contributor: "bo", policyHash: "p1", acceptedAt: now)
        try await store.recordConsent(contributor: "bo", policyHash: "p2", acceptedAt: later)
        #expect(try await store.withdrawConsents(contributor: "bo", acceptedBefore: now) == 1)
        #expect(try await !store.hasConsent(contributor: "bo", policyHash: "p1"))
        #expect(try await store.hasConsent(contributor: "bo", policyHash: "p2"))

        // Users awaiting approval are approved once.
        try await store.createUser(StaffUser(name: "rex", role: .reviewer, keyHash: "k", createdAt: now, awaitingApproval: true))
        #expect(try await store.user(named: "rex")?.awaitingApproval == true)
        #expect(try await store.approveUser("rex"))
        #expect(try await !store.approveUser("rex"))
        #expect(try await !store.approveUser("nobody"))
        #expect(try await store.user(named: "rex")?.awaitingApproval == false)

        // A new key ends the user's sessions; a logout ends one; a removed user has none.
        for token in ["t1", "t2", "t3"] {
            try await store.createSession(tokenHash: token, user: "rex", expiresAt: later, now: now)
        }
        try await store.deleteSession(tokenHash: "t1")
        #expect(try await store.sessionUser(tokenHash: "t1", now: now) == nil)
        #expect(try await store.sessionUser(tokenHash: "t2", now: now)?.name == "rex")
        #expect(try await store.replaceKey(of: "rex", keyHash: "k2"))
        #expect(try await store.user(named: "rex")?.keyHash == "k2")
        #expect(try await store.sessionUser(tokenHash: "t2", now: now) == nil, "a new key ends the sessions of the old")
        try await store.createSession(tokenHash: "t4", user: "rex", expiresAt: later, now: now)
        #expect(try await store.deleteUser("rex"))
        #expect(try await store.user(named: "rex") == nil)
        #expect(try await store.sessionUser(tokenHash: "t4", now: now) == nil)
        #expect(try await !store.deleteUser("rex"))
        #expect(try await !store.replaceKey(of: "rex", keyHash: "k3"))
    }

    static func blobs(_ store: any BlobStore) async throws {
        let writer = try await store.create("blob-1")
        try await writer.write(Data("hello ".utf8))
        #expect(try await !store.exists("blob-1"), "a blob is invisible until committed")
        try await writer.write(Data("world".utf8))
        try await writer.commit()
        var read = Data()
        for try await chunk in try await store.read("blob-1") { read.append(chunk) }
        #expect(read == Data("hello world".utf8))
        // A committed blob is never replaced: a second writer of its key fails, and the first's bytes stay.
        let second = try await store.create("blob-1")
        try await second.write(Data("overwritten".utf8))
        await #expect(throws: StoreError.self) { try await second.commit() }
        read = Data()
        for try await chunk in try await store.read("blob-1") { read.append(chunk) }
        #expect(read == Data("hello world".utf8))
        let dropped = try await store.create("blob-2")
        try await dropped.write(Data("partial".utf8))
        await dropped.abort()
        #expect(try await !store.exists("blob-2"))
        try await store.delete("blob-1")
        #expect(try await !store.exists("blob-1"))
        await #expect(throws: StoreError.self) { try await store.read("blob-1") }
        await #expect(throws: StoreError.self) { try await store.create("../escape") }
    }
}

@Suite("Collector storage")
struct StorageContractTests {
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("The embedded metadata store (SQLite) keeps the metadata contract")
    func sqlite() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await StoreContract.metadata(try SQLiteMetadataStore(path: dir.appendingPathComponent("m.sqlite").path))
    }

    @Test("The embedded metadata store (SQLite) keeps the two-person approvals and read scopes of the contract")
    func sqliteApprovals() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await StoreContract.approvals(try SQLiteMetadataStore(path: dir.appendingPathComponent("m.sqlite").path))
    }

    @Test("The embedded metadata store (SQLite) keeps the registered exports of the contract")
    func sqliteExports() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await StoreContract.exports(try SQLiteMetadataStore(path: dir.appendingPathComponent("m.sqlite").path))
    }

    @Test("Staff see a segment's size rounded up to a power of two, 64 KiB at least, never the exact figure")
    func roundedSizes() {
        func rounded(_ bytes: Int64) -> Int64 {
            PseudonymousSegment(id: "", handle: "", pseudonym: "", sha256: "", bytes: bytes, policyHash: "", receivedAt: Date()).roundedBytes
        }
        #expect([0, 1, 65536].map(rounded) == [65536, 65536, 65536])
        #expect([65537, 131072, 131073, 1_000_000].map(rounded) == [131072, 131072, 262144, 1_048_576])
        #expect(rounded(.max) == .max && rounded(1 << 62 + 1) == .max)
    }

    @Test("The embedded blob store (a directory) keeps the blob contract")
    func directory() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await StoreContract.blobs(try DirectoryBlobStore(root: dir))
    }

    @Test(
        "Blob keys tell every contributor and segment apart (contributor a-b with segment c is not a with b-c), two uploads of one segment get two keys, and the store takes them"
    )
    func blobKeys() async throws {
        let upload = UUID()
        let one = StoredSegment.blobKey(contributor: "a-b", segment: "c", upload: upload)
        let other = StoredSegment.blobKey(contributor: "a", segment: "b-c", upload: upload)
        #expect(one != other)
        #expect(
            StoredSegment.blobKey(contributor: "a_b", segment: "c", upload: upload)
                != StoredSegment.blobKey(contributor: "a", segment: "b_c", upload: upload))
        #expect(StoredSegment.blobKey(contributor: "alice", segment: "00aa") != StoredSegment.blobKey(contributor: "alice", segment: "00aa"))
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try DirectoryBlobStore(root: dir)
        for key in [one, other, StoredSegment.blobKey(contributor: "ünï code/../x", segment: "00aa")] {
            let writer = try await store.create(key)
            try await writer.write(Data(key.utf8))
            try await writer.commit()
            #expect(try await store.exists(key))
        }
    }
}

@Suite("Collector keys")
struct KeyTests {
    @Test("Content sealed in chunks opens only with its key and context, whole, in order")
    func sealing() throws {
        let key = SymmetricKey(size: .bits256)
        let plain = Data((0..<(ContentSealer.chunkSize * 2 + 1234)).map { UInt8(truncatingIfNeeded: $0 * 7) })
        var sealer = ContentSealer(key: key, context: "c1-s1")
        var sealed = Data()
        for part in stride(from: 0, to: plain.count, by: 70_000) { sealed.append(try sealer.feed(plain[part..<min(plain.count, part + 70_000)])) }
        sealed.append(try sealer.finish())
        #expect(sealed.range(of: plain.prefix(64)) == nil, "plaintext is visible in the sealed blob")

        var opener = ContentOpener(key: key, context: "c1-s1")
        var opened = Data()
        for part in stride(from: 0, to: sealed.count, by: 50_000) { opened.append(try opener.feed(sealed[part..<min(sealed.count, part + 50_000)])) }
        #expect(opened == plain && opener.finished)

        var wrongContext = ContentOpener(key: key, context: "c1-s2")
        #expect(throws: (any Error).self) { _ = try wrongContext.feed(sealed) }
        var wrongKey = ContentOpener(key: SymmetricKey(size: .bits256), context: "c1-s1")
        #expect(throws: (any Error).self) { _ = try wrongKey.feed(sealed) }
        // Cut short before the final chunk: never `finished`.
        var truncated = ContentOpener(key: key, context: "c1-s1")
        _ = try truncated.feed(sealed.prefix(sealed.count - 100))
        #expect(!truncated.finished)
    }

    @Test("A data key wrapped for one contributor unwraps only for them, and only with the same key-encryption key")
    func wrapping() throws {
        let kek = LocalKeyEncryptionKey(SymmetricKey(size: .bits256))
        let dataKey = SymmetricKey(size: .bits256)
        let wrapped = try kek.wrap(dataKey, contributor: "c1")
        #expect(try kek.unwrap(wrapped, contributor: "c1") == dataKey)
        #expect(throws: KeyError.unwrapFailed("c2")) { try kek.unwrap(wrapped, contributor: "c2") }
        #expect(throws: KeyError.unwrapFailed("c1")) { try LocalKeyEncryptionKey(SymmetricKey(size: .bits256)).unwrap(wrapped, contributor: "c1") }
    }

    @Test("The key-encryption key file is created owner-only, and one others can read is refused")
    func kekFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-kek-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("server.kek")
        #expect(throws: KeyError.missingKEK(file.path)) { try LocalKeyEncryptionKey.load(file: file, environment: [:], create: false) }
        let created = try LocalKeyEncryptionKey.load(file: file, environment: [:], create: true)
        #expect(try LocalKeyEncryptionKey.load(file: file, environment: [:], create: false).fingerprint == created.fingerprint)
        chmod(file.path, 0o644)
        #expect(throws: KeyError.self) { try LocalKeyEncryptionKey.load(file: file, environment: [:], create: false) }
        let fromEnvironment = try LocalKeyEncryptionKey.load(
            file: file, environment: ["UNDERSTUDY_KEK": Data(repeating: 1, count: 32).base64EncodedString()], create: false)
        #expect(fromEnvironment.fingerprint != created.fingerprint)
    }
}
