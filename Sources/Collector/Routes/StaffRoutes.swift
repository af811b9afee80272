import CollectorAPI
import Foundation
import Hummingbird
import UnderstudyModel

/// Signing in, people, enrolment codes and devices: the admin's side.
struct StaffRoutes {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.post("/v1/login", use: login)
        router.post("/v1/logout", use: logout)
        router.post("/v1/users", use: createUser)
        router.delete("/v1/users/{name}", use: removeUser)
        router.post("/v1/users/{name}/key", use: newKey)
        router.post("/v1/enrolment-codes", use: createCode)
        router.get("/v1/devices", use: listDevices)
        router.post("/v1/devices/{id}/revoke", use: revokeDevice)
        router.get("/v1/audit", use: auditLog)
        router.get("/v1/stats", use: stats)
    }

    /// Fewer contributors than this and totals could single a person out.
    static let minimumContributors = 5

    /// Totals over all contributors, only when there are enough of them that no one stands out.
    /// There is no endpoint reporting one person's activity to anyone but that person.
    @Sendable func stats(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff(Set(StaffRole.allCases), to: "read statistics")
        let totals = try await state.metadata.totals()
        guard totals.contributors >= Self.minimumContributors else {
            throw APIError(
                .forbidden, "too_few_contributors",
                "statistics cover at least \(Self.minimumContributors) contributors with data, so that none stands out; there are \(totals.contributors)"
            )
        }
        return JSONResponse.make(Totals(contributors: totals.contributors, segments: totals.segments, bytes: totals.bytes))
    }

    @Sendable func login(_ request: Request, context: CollectorContext) async throws -> Response {
        let body = try await request.decode(LoginRequest.self, context)
        let name = try nonEmpty(body.user, "user")
        let key = try nonEmpty(body.key, "key")
        guard let user = try await state.metadata.user(named: name), user.keyHash == Secret.hash(key) else {
            // At most 64 characters of what was typed as the name (a key typed there by mistake
            // is not kept whole), and failures past the limits are refused unrecorded, so
            // repeated failures cannot grow the audit log without bound.
            let typed = String(name.prefix(64))
            let now = state.now()
            for (key, rule) in [
                ("login address \(context.clientAddress)", RateLimiter.Rule.failedLogins), ("login user \(typed)", .failedLogins),
                ("login all", .allFailures),
            ] {
                if let wait = await state.limits.take(key, rule, now: now) { throw APIError.rateLimited(wait) }
            }
            try await state.audit("anonymous", "login_failed", .object([("user", .string(typed))]))
            throw APIError(.unauthorized, "bad_credentials", "unknown user or wrong key")
        }
        guard !user.awaitingApproval else {
            throw APIError(
                .forbidden, "approval_pending", "\(user.role.rawValue) \(user.name) signs in once a privacy officer approves them")
        }
        let token = Secret.make(bytes: 32)
        let now = state.now()
        let expires = now.addingTimeInterval(state.config.sessionLifetime)
        try await state.metadata.createSession(tokenHash: Secret.hash(token), user: user.name, expiresAt: expires, now: now)
        try await state.audit("user:\(user.name)", "login", .object([("role", .string(user.role.rawValue))]))
        // A key left in the data folder by an older version: once an admin has signed in, the operator
        // has it, and a copy of the data must not be enough to sign in.
        let legacy = CollectorServer.legacyAdminKey(state.config)
        if user.role == .admin, FileManager.default.fileExists(atPath: legacy.path) {
            do {
                try FileManager.default.removeItem(at: legacy)
                try await state.audit("user:\(user.name)", "bootstrap_key_removed")
            } catch {
                state.logger.error("cannot remove the first admin's key file from the data folder: \(error)")
            }
        }
        return JSONResponse.make(LoginResponse(token: token, role: user.role.rawValue, expiresAt: expires))
    }

    /// Ends the session the request is signed with.
    @Sendable func logout(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff(Set(StaffRole.allCases), to: "sign out")
        if let session = context.sessionTokenHash { try await state.metadata.deleteSession(tokenHash: session) }
        return JSONResponse.make(SignedOut(signedOut: true))
    }

    /// A member of staff leaves: their account and sessions go. The last admin stays, or no one
    /// could manage the collector again.
    @Sendable func removeUser(_ request: Request, context: CollectorContext) async throws -> Response {
        let admin = try context.requireStaff([.admin], to: "remove users")
        let name = try context.parameters.require("name")
        guard let user = try await state.metadata.user(named: name) else { throw APIError.notFound("user \(name)") }
        if user.role == .admin, try await state.metadata.users().filter({ $0.role == .admin }).count == 1 {
            throw APIError(.conflict, "last_admin", "\(name) is the only admin: make another before removing them")
        }
        guard try await state.metadata.deleteUser(name) else { throw APIError.notFound("user \(name)") }
        try await state.audit(
            "user:\(admin.name)", "user_removed", .object([("user", .string(name)), ("role", .string(user.role.rawValue))]))
        return JSONResponse.make(UserRemoved(name: name, removed: true))
    }

    /// A new key for a user (a leaked or lost one): the old key and every session signed in
    /// with it stop working. An admin gives anyone one; anyone gives themselves one.
    @Sendable func newKey(_ request: Request, context: CollectorContext) async throws -> Response {
        let me = try context.requireStaff(Set(StaffRole.allCases), to: "change keys")
        let name = try context.parameters.require("name")
        guard me.role == .admin || me.name == name else { throw APIError.forbidden("change another user's key") }
        let key = Secret.make(bytes: 32)
        guard try await state.metadata.replaceKey(of: name, keyHash: Secret.hash(key)) else { throw APIError.notFound("user \(name)") }
        try await state.audit("user:\(me.name)", "key_replaced", .object([("user", .string(name))]))
        return JSONResponse.make(NewUserKey(name: name, key: key))
    }

    @Sendable func createUser(_ request: Request, context: CollectorContext) async throws -> Response {
        let admin = try context.requireStaff([.admin], to: "create users")
        let body = try await request.decode(CreateUserRequest.self, context)
        let name = try nonEmpty(body.name, "name")
        guard let role = StaffRole(rawValue: body.role) else {
            throw APIError.badRequest("'role' must be one of \(StaffRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard name.count <= 64, isName(name) else {
            throw APIError.badRequest("'name' may hold ASCII letters, digits, '-', '_' and '.', up to 64")
        }
        let key = Secret.make(bytes: 32)
        let awaiting = try await needsApproval(role)
        do {
            try await state.metadata.createUser(
                StaffUser(name: name, role: role, keyHash: Secret.hash(key), createdAt: state.now(), awaitingApproval: awaiting))
        } catch StoreError.duplicate {
            throw APIError(.conflict, "exists", "user \(name) exists already")
        }
        try await state.audit(
            "user:\(admin.name)", "user_created",
            .object([("user", .string(name)), ("role", .string(role.rawValue)), ("awaiting_approval", .bool(awaiting))]))
        return JSONResponse.make(CreatedUser(name: name, role: role.rawValue, key: key, awaitingApproval: awaiting), status: .created)
    }

    /// Roles that read contributors' data, or approve those who do, wait for a privacy officer,
    /// so an admin cannot give themselves a second account that reads: all but the first privacy
    /// officer (someone has to be first, and an admin names them when the organisation starts).
    private func needsApproval(_ role: StaffRole) async throws -> Bool {
        switch role {
        case .admin: false
        case .reviewer, .scientist: true
        case .privacyOfficer: try await state.metadata.users().contains { $0.role == .privacyOfficer && !$0.awaitingApproval }
        }
    }

    @Sendable func createCode(_ request: Request, context: CollectorContext) async throws -> Response {
        let admin = try context.requireStaff([.admin], to: "create enrolment codes")
        let body = try await request.decode(EnrolmentCodeRequest.self, context)
        let contributor = try nonEmpty(body.contributor, "contributor")
        guard contributor.count <= 64, isName(contributor) else {
            throw APIError.badRequest("'contributor' may hold ASCII letters, digits, '-', '_' and '.', up to 64")
        }
        let identity = try Self.checked(body.identity)
        let code = Secret.make(bytes: 10)
        let expires = state.now().addingTimeInterval(state.config.enrolmentCodeLifetime)
        let issued = EnrolmentCode(
            codeHash: Secret.hash(code), contributor: contributor, expiresAt: expires, createdBy: admin.name, identity: identity)
        try await state.metadata.createCode(issued)
        // Redemption decides (in its transaction); this tells the admin what to expect.
        let awaiting = try await state.metadata.devices().contains { $0.contributor == contributor }
        try await state.audit("user:\(admin.name)", "enrolment_code_created", subject: contributor, .object([("code", .string(issued.id))]))
        return JSONResponse.make(
            EnrolmentCodeIssued(
                code: code, id: issued.id, contributor: contributor, expiresAt: expires, awaitingApproval: awaiting,
                policyKeys: state.policyKeyFingerprints),
            status: .created)
    }

    /// A display name and address of at most 200 characters (code points, as the OpenAPI
    /// document counts them), kept without surrounding white space; none when both are empty.
    /// They are only ever looked for on the device, so nothing more is asked of their form.
    static func checked(_ identity: ContributorIdentity?) throws -> ContributorIdentity? {
        for (field, value) in [("identity.display_name", identity?.displayName), ("identity.email", identity?.email)] {
            guard let value, value.unicodeScalars.count > 200 else { continue }
            throw APIError.badRequest("'\(field)' is at most 200 characters")
        }
        let name = identity?.displayName?.trimmingCharacters(in: .whitespacesAndNewlines)
        let email = identity?.email?.trimmingCharacters(in: .whitespacesAndNewlines)
        let kept = ContributorIdentity(displayName: name?.isEmpty == false ? name : nil, email: email?.isEmpty == false ? email : nil)
        return kept.displayName == nil && kept.email == nil ? nil : kept
    }

    @Sendable func listDevices(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.admin], to: "list devices")
        let devices = try await state.metadata.devices()
        return JSONResponse.make(
            devices.map { d in
                DeviceListing(id: d.id, contributor: d.contributor, name: d.name, enrolledAt: d.enrolledAt, revokedAt: d.revokedAt)
            })
    }

    @Sendable func revokeDevice(_ request: Request, context: CollectorContext) async throws -> Response {
        let admin = try context.requireStaff([.admin], to: "revoke devices")
        let id = try context.parameters.require("id")
        guard let device = try await state.metadata.device(id) else { throw APIError.notFound("device \(id)") }
        let revoked = try await state.metadata.revokeDevice(id, at: state.now())
        if revoked { try await state.audit("user:\(admin.name)", "device_revoked", subject: device.contributor, .object([("device", .string(id))])) }
        return JSONResponse.make(DeviceRevoked(id: id, revoked: true))
    }

    @Sendable func auditLog(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.admin, .privacyOfficer], to: "read the audit log")
        let (after, limit) = try AuditPage.of(request)
        return JSONResponse.make(try await state.metadata.auditRecords(subject: nil, after: after, limit: limit).map(\.listing))
    }
}

/// Audit reads come in pages, so a long log is never loaded or sent whole: `?after=SEQ`
/// (records after that sequence number, 0 by default) and `?limit=N` (1 to 1000, 1000 by
/// default). A page shorter than its limit is the last.
enum AuditPage {
    static let maxLimit = 1000

    static func of(_ request: Request) throws -> (after: Int64, limit: Int) {
        let query = request.uri.queryParameters
        let after = try query.get("after").map { text in
            guard let value = Int64(text), value >= 0 else { throw APIError.badRequest("'after' must be a sequence number (0 or more)") }
            return value
        }
        let limit = try query.get("limit").map { text in
            guard let value = Int(text), (1...maxLimit).contains(value) else { throw APIError.badRequest("'limit' must be from 1 to \(maxLimit)") }
            return value
        }
        return (after ?? 0, limit ?? maxLimit)
    }
}

extension AuditRecord {
    /// The record as the API lists it.
    public var listing: AuditRecordListing {
        AuditRecordListing(
            seq: seq, at: at, atMs: atMs, actor: actor, action: action, subject: subject, detail: detail, previousHash: previousHash, hash: hash)
    }
}

/// A staff or contributor name: ASCII letters and digits, '-', '_' and '.' (as the spec's
/// pattern says), so no two names look alike and none holds a control character.
func isName(_ text: String) -> Bool {
    text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
}
