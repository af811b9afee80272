import CollectorAPI
import Foundation
import Hummingbird
import UnderstudyModel

/// Two people, not one, for the acts that would let one person reach a contributor's data:
/// a privacy officer approves every reviewer, scientist and further privacy officer an admin
/// creates, and a second device for a contributor enrols only once the contributor approves the
/// code from a device of theirs (and says whether it may read their history) or a privacy
/// officer does (and it may not). Every approval and refusal is in the audit log.
struct ApprovalRoutes {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.get("/v1/users", use: listUsers)
        router.post("/v1/users/{name}/approve", use: approveUser)
        router.get("/v1/enrolment-codes", use: listCodes)
        router.post("/v1/enrolment-codes/{id}/approve", use: officerApprovesCode)
        router.get("/v1/me/enrolment-codes", use: myCodes)
        router.post("/v1/me/enrolment-codes/{id}/approve", use: contributorApprovesCode)
        router.delete("/v1/me/enrolment-codes/{id}", use: contributorRefusesCode)
    }

    @Sendable func listUsers(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.admin, .privacyOfficer], to: "list users")
        return JSONResponse.make(
            try await state.metadata.users().map { u in
                StaffUserListing(name: u.name, role: u.role.rawValue, createdAt: u.createdAt, awaitingApproval: u.awaitingApproval)
            })
    }

    @Sendable func approveUser(_ request: Request, context: CollectorContext) async throws -> Response {
        let officer = try context.requireStaff([.privacyOfficer], to: "approve users")
        let name = try context.parameters.require("name")
        guard let user = try await state.metadata.user(named: name), try await state.metadata.approveUser(name) else {
            throw APIError.notFound("a user \(name) awaiting approval")
        }
        try await state.audit(
            "user:\(officer.name)", "user_approved", .object([("user", .string(user.name)), ("role", .string(user.role.rawValue))]))
        return JSONResponse.make(UserApproved(name: user.name, role: user.role.rawValue))
    }

    @Sendable func listCodes(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.admin, .privacyOfficer], to: "list enrolment codes")
        return JSONResponse.make(try await state.metadata.openCodes(contributor: nil, now: state.now()).map(\.listing))
    }

    /// A privacy officer's approval enrols a device for what it uploads from now on, never the
    /// contributor's history: only the contributor can give that.
    @Sendable func officerApprovesCode(_ request: Request, context: CollectorContext) async throws -> Response {
        let officer = try context.requireStaff([.privacyOfficer], to: "approve enrolment codes")
        return try await approve(context, contributor: nil, by: "user:\(officer.name)", allowsHistory: false)
    }

    @Sendable func myCodes(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        return JSONResponse.make(try await state.metadata.openCodes(contributor: device.contributor, now: state.now()).map(\.listing))
    }

    @Sendable func contributorApprovesCode(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        let body = try await request.decode(EnrolmentApprovalRequest.self, context)
        return try await approve(context, contributor: device.contributor, by: "device:\(device.id)", allowsHistory: body.allowHistory ?? false)
    }

    @Sendable func contributorRefusesCode(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        let id = try context.parameters.require("id")
        guard try await state.metadata.deleteCode(id: id, contributor: device.contributor, now: state.now()) else {
            throw APIError.notFound("an open enrolment code \(id)")
        }
        try await state.audit(context.actor, "enrolment_code_refused", subject: device.contributor, .object([("code", .string(id))]))
        return JSONResponse.make(EnrolmentCodeRefused(id: id, refused: true))
    }

    private func approve(_ context: CollectorContext, contributor: String?, by approver: String, allowsHistory: Bool) async throws -> Response {
        let id = try context.parameters.require("id")
        guard
            let code = try await state.metadata.approveCode(
                id: id, contributor: contributor, by: approver, allowsHistory: allowsHistory, now: state.now())
        else { throw APIError.notFound("an open enrolment code \(id) awaiting approval") }
        try await state.audit(
            approver, "enrolment_code_approved", subject: code.contributor,
            .object([("code", .string(code.id)), ("allows_history", .bool(code.allowsHistory))]))
        return JSONResponse.make(
            EnrolmentCodeApproved(id: code.id, contributor: code.contributor, approvedBy: approver, allowsHistory: code.allowsHistory))
    }
}

extension EnrolmentCode {
    /// The code as the API lists it (never the code itself, nor its whole hash).
    var listing: EnrolmentCodeListing {
        EnrolmentCodeListing(
            id: id, contributor: contributor, createdBy: createdBy, expiresAt: expiresAt, approvedBy: approvedBy, allowsHistory: allowsHistory)
    }
}
