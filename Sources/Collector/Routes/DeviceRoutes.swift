import CollectorAPI
import Crypto
import Foundation
import Hummingbird
import Privacy
import UnderstudyModel

/// Enrolment, consent and policies: between a contributor's device and the organisation.
struct DeviceRoutes {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.post("/v1/enrol", use: enrol)
        router.post("/v1/consents", use: consent)
        router.post("/v1/consents/withdrawal", use: withdrawal)
        router.get("/v1/policies", use: listPolicies)
        router.post("/v1/policies", use: publishPolicy)
        router.get("/v1/me/audit", use: myAudit)
    }

    /// Turns a one-time code into a device credential: the device keeps its private key,
    /// the server stores the public half.
    @Sendable func enrol(_ request: Request, context: CollectorContext) async throws -> Response {
        let body = try await request.decode(EnrolRequest.self, context)
        let code = try nonEmpty(body.code, "code")
        let name = body.name ?? "device"
        guard let keyBytes = Data(base64Encoded: body.publicKey),
            (try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)) != nil
        else { throw APIError.badRequest("'public_key' must be a base64 Ed25519 public key (32 bytes)") }
        if let expected = body.policyKeys, !expected.isEmpty, Set(expected).isDisjoint(with: state.policyKeyFingerprints) {
            throw APIError(
                .forbidden, "policy_key_mismatch",
                "this collector signs policies with \(state.policyKeyFingerprints.joined(separator: ", ")), none of the keys you were given: the code is unspent"
            )
        }
        let redeemed: EnrolmentCode
        let firstDevice: Bool
        switch try await state.metadata.redeemCode(hash: Secret.hash(code), now: state.now()) {
        case .redeemed(let code, let first): (redeemed, firstDevice) = (code, first)
        case .awaitingApproval(let code):
            if try await state.metadata.contributor(code.contributor)?.erasedAt != nil {
                throw APIError(.gone, "erased", "contributor \(code.contributor) was erased")
            }
            try await refuseEnrolment(context, contributor: code.contributor, reason: "approval_pending")
            throw APIError(
                .forbidden, "approval_pending",
                "\(code.contributor) has a device already: this code (\(code.id)) enrols once they approve it on that device (`understudy held approve \(code.id)`) or a privacy officer does"
            )
        case .refused:
            let known = try await state.metadata.code(hash: Secret.hash(code))
            try await refuseEnrolment(context, contributor: known?.contributor, reason: known == nil ? "code_unknown" : "code_spent")
            if known?.usedAt != nil { throw APIError(.forbidden, "code_used", "this enrolment code was used already: ask for a new one") }
            if known != nil { throw APIError(.forbidden, "code_expired", "this enrolment code has expired: ask for a new one") }
            throw APIError(.forbidden, "code_unknown", "no such enrolment code")
        }
        _ = try await state.dataKey(of: redeemed.contributor)
        let now = state.now()
        // A second device reads only what arrives after it, unless the contributor allowed it more.
        let device = Device(
            id: "dev-" + Secret.make(bytes: 10), contributor: redeemed.contributor, publicKey: keyBytes,
            name: String(name.prefix(64)), enrolledAt: now, readsFrom: firstDevice || redeemed.allowsHistory ? nil : now)
        try await state.metadata.addDevice(device)
        try await state.audit(
            "device:\(device.id)", "device_enrolled", subject: device.contributor,
            .object([
                ("name", .string(device.name)), ("code", .string(redeemed.id)), ("approved_by", redeemed.approvedBy.map(JSONValue.string) ?? .null),
                ("reads_history", .bool(device.readsFrom == nil)),
            ]))
        // The keys the organisation signs policies with: the device trusts them from now on
        // (enrolment is the contributor's deliberate act, with a code given to them).
        let keys = state.config.policyKeys.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        return JSONResponse.make(
            Enrolled(device: device.id, contributor: device.contributor, policyKeys: keys, identity: redeemed.identity), status: .created)
    }

    /// Records a refused enrolment, unless refusals come too fast: past the limit they go
    /// unrecorded (429), so a guesser cannot flood the audit log.
    private func refuseEnrolment(_ context: CollectorContext, contributor: String?, reason: String) async throws {
        for (key, rule) in [("enrol address \(context.clientAddress)", RateLimiter.Rule.failedEnrolments), ("enrol all", .allFailures)] {
            if let wait = await state.limits.take(key, rule, now: state.now()) { throw APIError.rateLimited(wait) }
        }
        try await state.audit("anonymous", "enrol_refused", subject: contributor, .object([("reason", .string(reason))]))
    }

    @Sendable func consent(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        let body = try await request.decode(ConsentRequest.self, context)
        let hash = try nonEmpty(body.policyHash, "policy_hash")
        let accepted = body.acceptedAt
        guard try await state.metadata.policy(hash: hash) != nil else {
            throw APIError(.unprocessableContent, "policy_unknown", "policy \(hash.prefix(16)) was not published by this organisation")
        }
        try await state.metadata.recordConsent(contributor: device.contributor, policyHash: hash, acceptedAt: accepted)
        try await state.audit(context.actor, "consent_recorded", subject: device.contributor, .object([("policy", .string(hash))]))
        return JSONResponse.make(ConsentRecorded(policyHash: hash, recorded: true))
    }

    /// A withdrawal on the device ends the consents it covers here too: uploads under them are
    /// refused from now on (`no_consent`), until the contributor consents again.
    @Sendable func withdrawal(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        let body = try await request.decode(ConsentWithdrawalRequest.self, context)
        let ended = try await state.metadata.withdrawConsents(contributor: device.contributor, acceptedBefore: body.withdrawnAt)
        if ended > 0 {
            try await state.audit(context.actor, "consent_withdrawn", subject: device.contributor, .object([("consents", .int(Int64(ended)))]))
        }
        return JSONResponse.make(ConsentWithdrawn(withdrawn: ended))
    }

    @Sendable func listPolicies(_ request: Request, context: CollectorContext) async throws -> Response {
        guard context.staff != nil || context.device != nil else { throw APIError.unauthenticated }
        return JSONResponse.make(
            try await state.metadata.policies().map { p in
                PolicyListing(
                    hash: p.hash, name: p.name, version: p.version, document: String(decoding: p.document, as: UTF8.self),
                    signature: String(decoding: p.signature, as: UTF8.self), publishedAt: p.publishedAt)
            })
    }

    /// The largest policy document accepted: policies are a few kilobytes of YAML.
    static let maxPolicyBytes = 256 * 1024

    /// A privacy officer publishes a policy signed with a key the server trusts (`policy_keys`).
    @Sendable func publishPolicy(_ request: Request, context: CollectorContext) async throws -> Response {
        let officer = try context.requireStaff([.privacyOfficer], to: "publish policies")
        let body = try await request.decode(PublishPolicyRequest.self, context, limit: 2 * Self.maxPolicyBytes)
        let text = try nonEmpty(body.document, "document")
        let signature = try nonEmpty(body.signature, "signature")
        guard text.utf8.count <= Self.maxPolicyBytes else {
            throw APIError(.contentTooLarge, "too_large", "a policy document is at most \(Self.maxPolicyBytes) bytes")
        }
        // The signature first: the YAML reader never sees a document no trusted key signed.
        let trusted = state.config.policyKeys.compactMap { try? PolicySigning.publicKey(URL(fileURLWithPath: $0)) }
        do {
            _ = try PolicySigning.verify(Data(text.utf8), signature: signature, named: "the published policy", trusted: trusted)
        } catch {
            throw APIError(.unprocessableContent, "policy_signature", "\(error) (the server trusts the keys in its policy_keys setting)")
        }
        let document: PolicyDocument
        do { document = try PolicyDocument(text: text, source: "the published policy") } catch {
            throw APIError(.unprocessableContent, "policy_invalid", "\(error)")
        }
        try await state.metadata.publish(
            PublishedPolicy(
                hash: document.hash, name: document.policy.name, version: document.policy.version,
                document: Data(text.utf8), signature: Data(signature.utf8),
                publishedAt: state.now(), publishedBy: officer.name))
        try await state.audit(
            "user:\(officer.name)", "policy_published",
            .object([
                ("policy", .string(document.hash)), ("name", .string(document.policy.name)),
                ("version", .int(Int64(document.policy.version))),
            ]))
        return JSONResponse.make(PolicyPublished(hash: document.hash, name: document.policy.name, version: document.policy.version), status: .created)
    }

    @Sendable func myAudit(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        let (after, limit) = try AuditPage.of(request)
        let page = try await state.metadata.auditRecords(subject: device.contributor, from: device.readsFrom, after: after, limit: limit)
        return JSONResponse.make(page.map(\.listing))
    }
}
