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
        let body = try await request.jsonObject(context)
        let id = try body.required("id"), kind = try body.required("kind"), value = try body.required("value")
        guard ["app", "site", "title", "all"].contains(kind) else { throw APIError.badRequest("'kind' must be app, site, title or all") }
        guard let requested = RFC3339.date(from: try body.required("requested_at")) else { throw APIError.badRequest("'requested_at' must be an RFC 3339 time") }
        let (from, until) = try period(body)
        guard kind != "all" || until != nil else { throw APIError.badRequest("an exemption of all capture is for a period: give 'until'") }
        let reason = body["reason"]?.stringValue ?? ""
        try await state.metadata.addExemptionRequest(ExemptionDecision(contributor: device.contributor, id: String(id.prefix(64)), kind: kind,
                                                                       value: String(value.prefix(256)), reason: String(reason.prefix(1000)), requestedAt: requested,
                                                                       from: from, until: until))
        try await state.audit(context.actor, "exemption_requested", subject: device.contributor, .object([("request", .string(id)), ("kind", .string(kind))]))
        return JSONResponse.make(.object([("id", .string(id)), ("status", .string("pending"))]), status: .created)
    }

    /// The optional period of a request: `from` and `until`, RFC 3339, `until` after `from`.
    private func period(_ body: JSONValue) throws -> (Date?, Date?) {
        func time(_ name: String) throws -> Date? {
            guard let value = body[name], value != .null else { return nil }
            guard let date = value.stringValue.flatMap(RFC3339.date(from:)) else { throw APIError.badRequest("'\(name)' must be an RFC 3339 time") }
            return date
        }
        let from = try time("from"), until = try time("until")
        if let from, let until, until <= from { throw APIError.badRequest("'until' must come after 'from'") }
        return (from, until)
    }

    @Sendable func list(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.privacyOfficer], to: "read exemption requests")
        let status = request.uri.queryParameters.get("status").flatMap(ExemptionDecision.Status.init(rawValue:))
        return JSONResponse.make(.array(try await state.metadata.exemptionRequests(contributor: nil, status: status).map(\.json)))
    }

    @Sendable func decide(_ request: Request, context: CollectorContext) async throws -> Response {
        let officer = try context.requireStaff([.privacyOfficer], to: "decide exemption requests")
        let contributor = try context.parameters.require("contributor"), id = try context.parameters.require("id")
        let body = try await request.jsonObject(context)
        guard let approve = body["approve"]?.boolValue else { throw APIError.badRequest("'approve' must be true or false") }
        let note = body["note"]?.stringValue
        guard try await state.metadata.decideExemption(contributor: contributor, id: id, approved: approve, by: officer.name, note: note, at: state.now()) else {
            throw APIError.notFound("a pending exemption request \(id) of \(contributor)")
        }
        try await state.audit(context.actor, "exemption_decided", subject: contributor,
                              .object([("request", .string(id)), ("approved", .bool(approve))]))
        return JSONResponse.make(.object([("id", .string(id)), ("status", .string(approve ? "approved" : "denied"))]))
    }

    @Sendable func mine(_ request: Request, context: CollectorContext) async throws -> Response {
        let device = try context.requireDevice()
        return JSONResponse.make(.array(try await state.metadata.exemptionRequests(contributor: device.contributor, status: nil).map(\.json)))
    }
}

extension ExemptionDecision {
    var json: JSONValue {
        .object([("contributor", .string(contributor)), ("id", .string(id)), ("kind", .string(kind)), ("value", .string(value)),
                 ("reason", .string(reason)), ("requested_at", .string(RFC3339.string(from: requestedAt))), ("status", .string(status.rawValue)),
                 ("decided_at", decidedAt.map { .string(RFC3339.string(from: $0)) } ?? .null),
                 ("decided_by", decidedBy.map { .string($0) } ?? .null), ("note", note.map { .string($0) } ?? .null),
                 ("from", from.map { .string(RFC3339.string(from: $0)) } ?? .null), ("until", until.map { .string(RFC3339.string(from: $0)) } ?? .null)])
    }
}
