import CollectorAPI
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Privacy
import UnderstudyModel

/// Uploads of sealed segments, and a contributor's own segments.
///
/// `PUT /v1/segments/{id}` is idempotent on the segment id and content hash: a repeat is
/// acknowledged (200) and not stored twice; the same id with other content is a conflict
/// (409). The body streams through SHA-256 and the contributor's cipher into the blob store;
/// the answer (201) comes only once the blob and its record are durable.
struct SegmentRoutes {
    let state: CollectorState
    static let policyHeader = HTTPField.Name("X-Understudy-Policy")!
    /// When the segment's recording ended (RFC 3339), for retention; optional.
    static let recordedHeader = HTTPField.Name("X-Understudy-Recorded-Until")!

    func add(to router: Router<CollectorContext>) {
        router.put("/v1/segments/{id}", use: upload)
        router.get("/v1/me/segments", use: list)
        router.get("/v1/me/segments/{id}", use: download)
        router.delete("/v1/me/segments/{id}", use: deleteMine)
        router.delete("/v1/me", use: eraseMe)
        router.post("/v1/contributors/{id}/erase", use: eraseContributor)
    }

    /// A contributor deletes one of their segments here (one the device may read): its blob,
    /// its row and its verdicts go; an audit record naming it stays.
    @Sendable func deleteMine(_ request: Request, context: CollectorContext) async throws -> Response {
        let (device, segment) = try await ownSegment(context)
        try await state.blobs.delete(segment.blob)
        try await state.metadata.deleteSegment(segment.id)
        try await state.audit(context.actor, "segment_deleted", subject: device.contributor, .object([("segment", .string(segment.id))]))
        return JSONResponse.make(SegmentDeleted(segment: segment.id, deleted: true))
    }

    /// A contributor erases everything the server holds about them.
    @Sendable func eraseMe(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        let count = try await Erasure(state: state).erase(device.contributor, by: context.actor)
        return JSONResponse.make(ContributorErased(contributor: device.contributor, erased: true, segments: count))
    }

    /// The privacy officer erases a contributor (an erasure request made to the organisation).
    @Sendable func eraseContributor(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.privacyOfficer], to: "erase contributors")
        let id = try context.parameters.require("id")
        let count = try await Erasure(state: state).erase(id, by: context.actor)
        return JSONResponse.make(ContributorErased(contributor: id, erased: true, segments: count))
    }

    @Sendable func upload(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        try await state.uploads.take(device.id)
        do {
            let response = try await receive(request, from: device, context: context)
            await state.uploads.give(device.id)
            return response
        } catch {
            await state.uploads.give(device.id)
            throw error
        }
    }

    /// An upload in one of its device's slots: checked as it streams, sealed, stored once.
    private func receive(_ request: Request, from device: Device, context: CollectorContext) async throws -> Response {
        // One segment, one spelling: the bundle's id is matched without regard to case, so the
        // id is kept in lower case, or the same segment in capitals would be stored a second time.
        let id = try Self.segmentID(context)
        guard let hash = context.signedContentSHA256, hash != RequestSigning.emptySHA256 else {
            throw APIError.badRequest("an upload signs its body's SHA-256 in \(RequestSigning.contentHeader)")
        }
        guard let policy = request.headers[Self.policyHeader], !policy.isEmpty else {
            throw APIError.badRequest("an upload names its session's policy hash in X-Understudy-Policy")
        }
        if let existing = try await state.metadata.segment(id) { return try await repeated(existing, hash: hash, context) }
        let consent = try await checkPolicy(policy, device: device, segment: id)
        let room = try await roomFor(device.contributor)

        let blob = StoredSegment.blobKey(contributor: device.contributor, segment: id)
        let key = try await state.dataKey(of: device.contributor)
        let writer = try await state.blobs.create(blob)
        var sealer = ContentSealer(key: key, context: blob)
        var hasher = SHA256()
        // Checked as it streams, before each chunk is stored: staff reads and the review and
        // export tools parse what is kept, so only a well-formed bundle is.
        var check = SegmentBundleCheck()
        var bytes: Int64 = 0
        let pace = UploadPace(grace: state.config.idleTimeout, minimumRate: state.config.minUploadRate)
        do {
            do {
                for try await buffer in request.body {
                    let chunk = Data(buffer.readableBytesView)
                    bytes += Int64(chunk.count)
                    try pace.check(bytes)
                    guard bytes <= state.config.maxSegmentBytes else {
                        throw APIError(.contentTooLarge, "too_large", "segments larger than \(state.config.maxSegmentBytes) bytes are refused")
                    }
                    guard bytes <= room else { throw Self.quotaExceeded(state.config.contributorQuotaBytes) }
                    hasher.update(data: chunk)
                    try check.feed(chunk)
                    try await writer.write(try sealer.feed(chunk))
                }
                try await writer.write(try sealer.finish())
                guard hasher.finalize().hexDigits == hash else {
                    throw APIError(.badRequest, "hash_mismatch", "the body's SHA-256 is not the one signed: the upload was damaged or altered")
                }
                try check.finish()
                try declaredAgrees(check.declared, id: id, policy: policy, recordedUntil: request.headers[Self.recordedHeader])
                try await writer.commit()
            } catch {
                await writer.abort()
                throw error
            }
        } catch let failure as SegmentBundleCheck.Failure {
            try await state.audit(
                "device:\(device.id)", "upload_refused", subject: device.contributor,
                .object([("segment", .string(id)), ("reason", .string("not_a_bundle"))]))
            throw APIError(.unprocessableContent, "not_a_bundle", "the upload is not a segment bundle (\(failure)): nothing was stored")
        }
        let record = StoredSegment(
            id: id, contributor: device.contributor, device: device.id, sha256: hash, bytes: bytes,
            policyHash: policy, receivedAt: state.now(),
            recordedAt: check.declared?.recordedUntil ?? request.headers[Self.recordedHeader].flatMap(RFC3339.date(from:)), blob: blob)
        let detail: JSONValue = .object([
            // No size: staff see sizes (bucketed) beside pseudonyms, and this record names the contributor.
            ("segment", .string(id)), ("policy", .string(policy)), ("consent", .string(consent)),
        ])
        let entry = AuditEntry(
            at: state.now(), actor: context.actor, action: "segment_stored", subject: device.contributor, detail: detail.serialized)
        switch try await state.metadata.insertSegment(record, audit: entry) {
        case .inserted: break
        case .exists(let other):
            // Another upload of the same id won the race: its blob is the one kept, ours goes.
            try await state.blobs.delete(blob)
            return try await repeated(other, hash: hash, context)
        case .erased:
            // Erased while this upload was in flight: the blob goes too, and nothing records it.
            try await state.blobs.delete(blob)
            throw APIError(.forbidden, "contributor_erased", "the contributor was erased: nothing was stored")
        }
        CollectorMetrics.segmentStored(bytes: bytes)
        CollectorMetrics.auditRecordWritten(action: "segment_stored")
        return JSONResponse.make(SegmentAcknowledged(segment: id, status: .stored, sha256: hash), status: .created)
    }

    /// How many more bytes the contributor may upload: their quota less what they hold. Refused
    /// at once when nothing is left, or when the disk is down to its reserve.
    private func roomFor(_ contributor: String) async throws -> Int64 {
        let room = state.config.contributorQuotaBytes - (try await state.metadata.bytesStored(contributor: contributor))
        guard room > 0 else { throw Self.quotaExceeded(state.config.contributorQuotaBytes) }
        let free = (try? FileManager.default.attributesOfFileSystem(forPath: state.config.data.path)[.systemFreeSize] as? NSNumber)?.int64Value
        if let free, free < state.config.reservedBytes {
            throw APIError(
                .insufficientStorage, "storage_full",
                "the collector keeps its last \(state.config.reservedBytes) bytes of disk for the audit log: nothing was stored; try again later")
        }
        return room
    }

    /// How fast an upload's body must come once its grace is over. Checked as each chunk
    /// arrives; the idle timeout ends a body that stops coming at all.
    struct UploadPace {
        let started = ContinuousClock.now
        let grace: TimeInterval
        let minimumRate: Int64

        func check(_ received: Int64) throws {
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            guard seconds > grace, Double(received) < Double(minimumRate) * seconds else { return }
            throw APIError(
                .requestTimeout, "too_slow", "the upload came slower than \(minimumRate) bytes a second: nothing was stored; try again")
        }
    }

    static func quotaExceeded(_ quota: Int64) -> APIError {
        APIError(
            .insufficientStorage, "quota_exceeded",
            "this contributor's segments would pass their quota of \(quota) bytes: nothing was stored; the organisation can raise contributor_quota")
    }

    /// The headers an upload names its segment, policy and end by are not signed; its body is.
    /// So they must say what the bundle's `segment.json` says, or nothing is stored.
    private func declaredAgrees(_ declared: SegmentBundleCheck.Declared?, id: String, policy: String, recordedUntil: String?) throws {
        guard let declared, declared.segment.lowercased() == id.lowercased() else {
            throw APIError(.unprocessableContent, "segment_mismatch", "the bundle is not segment \(id): nothing was stored")
        }
        guard declared.policyHash == policy else {
            throw APIError(
                .unprocessableContent, "policy_mismatch", "X-Understudy-Policy is not the policy the bundle's session names: nothing was stored")
        }
        if let header = recordedUntil.flatMap(RFC3339.date(from:)), let end = declared.recordedUntil, abs(header.timeIntervalSince(end)) > 1 {
            throw APIError(
                .unprocessableContent, "recorded_until_mismatch",
                "X-Understudy-Recorded-Until is not when the bundle says it ends: nothing was stored")
        }
    }

    private func repeated(_ existing: StoredSegment, hash: String, _ context: CollectorContext) async throws -> Response {
        guard existing.sha256 == hash, existing.contributor == context.device?.contributor else {
            throw APIError(.conflict, "segment_conflict", "segment \(existing.id) is stored already with other content")
        }
        return JSONResponse.make(SegmentAcknowledged(segment: existing.id, status: .alreadyStored, sha256: hash))
    }

    /// The segment's policy must be one the organisation published, and its contributor must
    /// have consented to it, or to a published policy it only narrows (the consent rule devices
    /// follow: narrowing applies without asking). Returns the policy consented to.
    private func checkPolicy(_ policy: String, device: Device, segment: String) async throws -> String {
        guard let published = try await state.metadata.policy(hash: policy) else {
            try await state.audit(
                "device:\(device.id)", "upload_refused", subject: device.contributor,
                .object([("segment", .string(segment)), ("reason", .string("policy_unknown")), ("policy", .string(policy))]))
            throw APIError(
                .unprocessableContent, "policy_unknown",
                "the segment was recorded under policy \(policy.prefix(16)), which this organisation did not publish")
        }
        if try await state.metadata.hasConsent(contributor: device.contributor, policyHash: policy) { return policy }
        if let consented = try await consentNarrowed(to: published, contributor: device.contributor) { return consented }
        try await state.audit(
            "device:\(device.id)", "upload_refused", subject: device.contributor,
            .object([("segment", .string(segment)), ("reason", .string("no_consent")), ("policy", .string(policy))]))
        throw APIError(
            .unprocessableContent, "no_consent",
            "the contributor has not consented to policy \(policy.prefix(16)) here, nor to a policy it only narrows: sync sends consents first")
    }

    /// A published policy the contributor consented to that `policy` does not widen.
    private func consentNarrowed(to policy: PublishedPolicy, contributor: String) async throws -> String? {
        guard let new = try? PolicyDocument(text: String(decoding: policy.document, as: UTF8.self), source: "policy \(policy.hash)") else {
            return nil
        }
        for hash in try await state.metadata.consents(contributor: contributor) {
            guard let old = try await state.metadata.policy(hash: hash),
                let consented = try? PolicyDocument(text: String(decoding: old.document, as: UTF8.self), source: "policy \(hash)")
            else { continue }
            if PolicyComparison.widenings(from: consented.policy, to: new.policy).isEmpty { return hash }
        }
        return nil
    }

    @Sendable func list(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        return JSONResponse.make(
            try await state.metadata.segments(contributor: device.contributor).filter { device.mayRead($0.receivedAt) }.map { s in
                SegmentListing(id: s.id, sha256: s.sha256, bytes: s.bytes, policyHash: s.policyHash, receivedAt: s.receivedAt, device: s.device)
            })
    }

    /// The segment id of the path, in lower case (as devices write them and the collector keeps them).
    static func segmentID(_ context: CollectorContext) throws -> String {
        let id = try context.parameters.require("id")
        guard id.count <= 80, id.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { throw APIError.badRequest("segment ids are hex digits and '-'") }
        return id.lowercased()
    }

    /// A contributor downloads one of their segments, decrypted: exactly the bundle uploaded.
    @Sendable func download(_ request: Request, context: CollectorContext) async throws -> Response {
        let (_, segment) = try await ownSegment(context)
        return try await BundleDownload(state: state).toContributor(segment, actor: context.actor)
    }

    /// The signing device and the segment `{id}` names, when it is its contributor's and the
    /// device may read it; else 404, so a device learns nothing of segments not its own.
    private func ownSegment(_ context: CollectorContext) async throws -> (Device, StoredSegment) {
        let device = try context.requireDevice()
        let id = try context.parameters.require("id").lowercased()
        guard let segment = try await state.metadata.segment(id), segment.contributor == device.contributor, device.mayRead(segment.receivedAt)
        else {
            throw APIError.notFound("segment \(id)")
        }
        return (device, segment)
    }
}
