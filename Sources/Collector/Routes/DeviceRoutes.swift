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
        guard let redeemed = try await state.metadata.redeemCode(hash: Secret.hash(code), now: state.now()) else {
            // Refusals past the limit go unrecorded: a guesser cannot flood the audit log.
            for (key, rule) in [("enrol address \(context.clientAddress)", RateLimiter.Rule.failedEnrolments), ("enrol all", .allFailures)] {
                if let wait = await state.limits.take(key, rule, now: state.now()) { throw APIError.rateLimited(wait) }
            }
            let known = try await state.metadata.code(hash: Secret.hash(code))
            try await state.audit("anonymous", "enrol_refused", subject: known?.contributor)
            if known?.usedAt != nil { throw APIError(.forbidden, "code_used", "this enrolment code was used already: ask for a new one") }
            if known != nil { throw APIError(.forbidden, "code_expired", "this enrolment code has expired: ask for a new one") }
            throw APIError(.forbidden, "code_unknown", "no such enrolment code")
        }
        _ = try await state.dataKey(of: redeemed.contributor)
        let device = Device(
            id: "dev-" + Secret.make(bytes: 10), contributor: redeemed.contributor, publicKey: keyBytes,
            name: String(name.prefix(64)), enrolledAt: state.now())
        try await state.metadata.addDevice(device)
        try await state.audit("device:\(device.id)", "device_enrolled", subject: device.contributor, .object([("name", .string(device.name))]))
        // The keys the organisation signs policies with: the device trusts them from now on
        // (enrolment is the contributor's deliberate act, with a code given to them).
        let keys = state.config.policyKeys.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        return JSONResponse.make(Enrolled(device: device.id, contributor: device.contributor, policyKeys: keys), status: .created)
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
        return JSONResponse.make(try await state.metadata.auditRecords(subject: device.contributor, after: after, limit: limit).map(\.listing))
    }
}
