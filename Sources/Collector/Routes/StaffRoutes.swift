import Foundation
import Hummingbird
import UnderstudyModel

/// Signing in, people, enrolment codes and devices: the admin's side.
struct StaffRoutes {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.post("/v1/login", use: login)
        router.post("/v1/users", use: createUser)
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
            throw APIError(.forbidden, "too_few_contributors",
                           "statistics cover at least \(Self.minimumContributors) contributors with data, so that none stands out; there are \(totals.contributors)")
        }
        return JSONResponse.make(.object([("contributors", .int(Int64(totals.contributors))), ("segments", .int(Int64(totals.segments))),
                                          ("bytes", .int(totals.bytes))]))
    }

    @Sendable func login(_ request: Request, context: CollectorContext) async throws -> Response {
        let body = try await request.jsonObject(context)
        let name = try body.required("user"), key = try body.required("key")
        guard let user = try await state.metadata.user(named: name), user.keyHash == Secret.hash(key) else {
            try await state.audit("anonymous", "login_failed", .object([("user", .string(name))]))
            throw APIError(.unauthorized, "bad_credentials", "unknown user or wrong key")
        }
        let token = Secret.make(bytes: 32), now = state.now(), expires = now.addingTimeInterval(state.config.sessionLifetime)
        try await state.metadata.createSession(tokenHash: Secret.hash(token), user: user.name, expiresAt: expires, now: now)
        try await state.audit("user:\(user.name)", "login", .object([("role", .string(user.role.rawValue))]))
        return JSONResponse.make(.object([("token", .string(token)), ("role", .string(user.role.rawValue)),
                                          ("expires_at", .string(RFC3339.string(from: expires)))]))
    }

    @Sendable func createUser(_ request: Request, context: CollectorContext) async throws -> Response {
        let admin = try context.requireStaff([.admin], to: "create users")
        let body = try await request.jsonObject(context)
        let name = try body.required("name")
        guard let role = StaffRole(rawValue: try body.required("role")) else {
            throw APIError.badRequest("'role' must be one of \(StaffRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw APIError.badRequest("'name' may hold letters, digits, '-', '_' and '.', up to 64")
        }
        let key = Secret.make(bytes: 32)
        do {
            try await state.metadata.createUser(StaffUser(name: name, role: role, keyHash: Secret.hash(key), createdAt: state.now()))
        } catch StoreError.duplicate {
            throw APIError(.conflict, "exists", "user \(name) exists already")
        }
        try await state.audit("user:\(admin.name)", "user_created", .object([("user", .string(name)), ("role", .string(role.rawValue))]))
        return JSONResponse.make(.object([("name", .string(name)), ("role", .string(role.rawValue)), ("key", .string(key))]), status: .created)
    }

    @Sendable func createCode(_ request: Request, context: CollectorContext) async throws -> Response {
        let admin = try context.requireStaff([.admin], to: "create enrolment codes")
        let body = try await request.jsonObject(context)
        let contributor = try body.required("contributor")
        guard contributor.count <= 64, contributor.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw APIError.badRequest("'contributor' may hold letters, digits, '-', '_' and '.', up to 64")
        }
        let code = Secret.make(bytes: 10), expires = state.now().addingTimeInterval(state.config.enrolmentCodeLifetime)
        try await state.metadata.createCode(EnrolmentCode(codeHash: Secret.hash(code), contributor: contributor, expiresAt: expires, createdBy: admin.name))
        try await state.audit("user:\(admin.name)", "enrolment_code_created", subject: contributor)
        return JSONResponse.make(.object([("code", .string(code)), ("contributor", .string(contributor)),
                                          ("expires_at", .string(RFC3339.string(from: expires)))]), status: .created)
    }

    @Sendable func listDevices(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.admin], to: "list devices")
        let devices = try await state.metadata.devices()
        return JSONResponse.make(.array(devices.map { d in
            .object([("id", .string(d.id)), ("contributor", .string(d.contributor)), ("name", .string(d.name)),
                     ("enrolled_at", .string(RFC3339.string(from: d.enrolledAt))),
                     ("revoked_at", d.revokedAt.map { .string(RFC3339.string(from: $0)) } ?? .null)])
        }))
    }

    @Sendable func revokeDevice(_ request: Request, context: CollectorContext) async throws -> Response {
        let admin = try context.requireStaff([.admin], to: "revoke devices")
        let id = try context.parameters.require("id")
        guard let device = try await state.metadata.device(id) else { throw APIError.notFound("device \(id)") }
        let revoked = try await state.metadata.revokeDevice(id, at: state.now())
        if revoked { try await state.audit("user:\(admin.name)", "device_revoked", subject: device.contributor, .object([("device", .string(id))])) }
        return JSONResponse.make(.object([("id", .string(id)), ("revoked", .bool(true))]))
    }

    @Sendable func auditLog(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.admin, .privacyOfficer], to: "read the audit log")
        return JSONResponse.make(.array(try await state.metadata.auditRecords(subject: nil).map(\.json)))
    }
}

extension AuditRecord {
    var json: JSONValue {
        .object([("seq", .int(seq)), ("at", .string(RFC3339.string(from: at))), ("at_ms", .int(AuditChain.milliseconds(at))),
                 ("actor", .string(actor)), ("action", .string(action)), ("subject", subject.map { .string($0) } ?? .null),
                 ("detail", .string(detail)), ("previous_hash", .string(previousHash)), ("hash", .string(hash))])
    }

    /// Rebuilds a record from its JSON (what `understudy admin audit verify` checks).
    public init?(json: JSONValue) {
        guard let seq = json["seq"]?.intValue, let ms = json["at_ms"]?.intValue, let actor = json["actor"]?.stringValue,
              let action = json["action"]?.stringValue, let detail = json["detail"]?.stringValue,
              let previous = json["previous_hash"]?.stringValue, let hash = json["hash"]?.stringValue
        else { return nil }
        self.init(seq: seq, at: Date(timeIntervalSince1970: Double(ms) / 1000), actor: actor, action: action,
                  subject: json["subject"]?.stringValue, detail: detail, previousHash: previous, hash: hash)
    }
}
