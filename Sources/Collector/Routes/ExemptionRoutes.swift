import CollectorAPI
import Foundation
import Hummingbird
import UnderstudyModel

/// Exemption requests: a contributor asks (for an app, a site or a window title kept out of
/// capture, or for all capture, each for good or for a period), the privacy officer approves
/// or denies, and the device applies an approval on its next sync like a personal exemption.
struct ExemptionRoutes {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.post("/v1/exemption-requests", use: request)
        router.get("/v1/exemption-requests", use: list)
        router.post("/v1/exemption-requests/{contributor}/{id}/decision", use: decide)
        router.get("/v1/me/exemptions", use: mine)
    }

    @Sendable func request(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        let body = try await request.decode(ExemptionRequestBody.self, context)
        let id = try nonEmpty(body.id, "id")
        let kind = body.kind
        let value = try nonEmpty(body.value, "value")
        guard ["app", "site", "title", "all"].contains(kind) else { throw APIError.badRequest("'kind' must be app, site, title or all") }
        let requested = body.requestedAt
        let from = body.from
        let until = body.until
        if let from, let until, until <= from { throw APIError.badRequest("'until' must come after 'from'") }
        guard kind != "all" || until != nil else { throw APIError.badRequest("an exemption of all capture is for a period: give 'until'") }
        let reason = body.reason ?? ""
        try await state.metadata.addExemptionRequest(
            ExemptionDecision(
                contributor: device.contributor, id: String(id.prefix(64)), kind: kind,
                value: String(value.prefix(256)), reason: String(reason.prefix(1000)), requestedAt: requested,
                from: from, until: until))
        try await state.audit(
            context.actor, "exemption_requested", subject: device.contributor, .object([("request", .string(id)), ("kind", .string(kind))]))
        return JSONResponse.make(ExemptionStatus(id: id, status: "pending"), status: .created)
    }

    @Sendable func list(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.privacyOfficer], to: "read exemption requests")
        let status = request.uri.queryParameters.get("status").flatMap(ExemptionDecision.Status.init(rawValue:))
        return JSONResponse.make(try await state.metadata.exemptionRequests(contributor: nil, status: status).map(\.listing))
    }

    @Sendable func decide(_ request: Request, context: CollectorContext) async throws -> Response {
        let officer = try context.requireStaff([.privacyOfficer], to: "decide exemption requests")
        let contributor = try context.parameters.require("contributor")
        let id = try context.parameters.require("id")
        let body = try await request.decode(ExemptionDecisionRequest.self, context)
        let approve = body.approve
        let note = body.note
        guard
            try await state.metadata.decideExemption(
                contributor: contributor, id: id, approved: approve, by: officer.name, note: note, at: state.now())
        else {
            throw APIError.notFound("a pending exemption request \(id) of \(contributor)")
        }
        try await state.audit(
            context.actor, "exemption_decided", subject: contributor,
            .object([("request", .string(id)), ("approved", .bool(approve))]))
        return JSONResponse.make(ExemptionStatus(id: id, status: approve ? "approved" : "denied"))
    }

    @Sendable func mine(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        let requests = try await state.metadata.exemptionRequests(contributor: device.contributor, status: nil)
        return JSONResponse.make(requests.filter { device.mayRead($0.requestedAt) }.map(\.listing))
    }
}

extension ExemptionDecision {
    var listing: ExemptionListing {
        ExemptionListing(
            contributor: contributor, id: id, kind: kind, value: value, reason: reason, requestedAt: requestedAt, status: status.rawValue,
            decidedAt: decidedAt, decidedBy: decidedBy, note: note, from: from, until: until)
    }
}
