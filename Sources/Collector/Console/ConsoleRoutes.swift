import CollectorAPI
import Foundation
import HTTPTypes
import Hummingbird
import UnderstudyModel

/// The staff console: server-rendered pages at `/console` for each role, signed in with the
/// same user names and keys as the API (`admin` commands). Every page reads, and every form
/// acts, through ``ConsoleAPI``, so each is the audited API call its command makes, refused
/// where the API refuses it. No page shows one person's activity, time or productivity: the
/// API has nothing that would.
///
/// The session is the API's own (`POST /v1/login`), its token in an HttpOnly, SameSite=Strict
/// cookie scoped to `/console`; every form carries a CSRF token derived from it.
struct ConsoleRoutes {
    static let cookie = "understudy_console"

    let state: CollectorState
    let api: ConsoleAPI
    /// Served over TLS: the cookie is then Secure.
    let secure: Bool

    func add(to router: Router<CollectorContext>) {
        router.get("/console/style.css") { _, _ in
            Self.answer(ConsoleHTML.style, type: "text/css; charset=utf-8")
        }
        router.get("/console/login") { request, context in
            if try await session(request) != nil { return Self.redirect("/console") }
            return Self.answer(ConsoleHTML.login(failure: nil))
        }
        router.post("/console/login", use: login)
        router.post("/console/logout") { request, context in
            var response = try await act(request, context) { s, _ in
                _ = try await api.post("/v1/logout", [String: String](), as: SignedOut.self, token: s.token, context: context)
                return ("", "/console/login")
            }
            // Signed out: the browser forgets the token too.
            if response.status == .seeOther {
                response.setCookie(
                    Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/console", secure: secure, httpOnly: true, sameSite: .strict))
            }
            return response
        }
        router.get("/console") { request, context in try await page(request, context) { s in ConsoleHTML.home(s) } }
        router.get("/console/exemptions") { request, context in
            try await page(request, context) { s in
                let all = try await api.get("/v1/exemption-requests", as: [ExemptionListing].self, token: s.token, context: context)
                return ConsoleHTML.exemptions(all, session: s)
            }
        }
        router.post("/console/exemptions/decide") { request, context in
            try await act(request, context) { s, form in
                let (contributor, id) = (form["contributor"] ?? "", form["id"] ?? "")
                let approve = form["decision"] == "approve"
                let note = form["note"].flatMap { $0.isEmpty ? nil : String($0.prefix(1000)) }
                _ = try await api.post(
                    "/v1/exemption-requests/\(ConsoleAPI.segment(contributor))/\(ConsoleAPI.segment(id))/decision",
                    ExemptionDecisionRequest(approve: approve, note: note), as: ExemptionStatus.self, token: s.token, context: context)
                return (
                    "\(approve ? "Approved" : "Denied") request \(id) of \(contributor); the device hears of it at its next sync.",
                    "/console/exemptions"
                )
            }
        }
        router.get("/console/erasures") { request, context in
            try await page(request, context) { s in ConsoleHTML.erasures(try await api.auditLog(token: s.token, context: context), session: s) }
        }
        router.post("/console/erasures/erase") { request, context in
            try await act(request, context) { s, form in
                let contributor = (form["contributor"] ?? "").trimmingCharacters(in: .whitespaces)
                guard form["sure"] == "yes", !contributor.isEmpty else {
                    return ("Nothing erased: give the contributor's id and tick that nothing can be recovered.", "/console/erasures")
                }
                let erased = try await api.post(
                    "/v1/contributors/\(ConsoleAPI.segment(contributor))/erase", [String: String](), as: ContributorErased.self, token: s.token,
                    context: context)
                return ("Erased \(contributor): \(erased.segments) segment(s) deleted, their data key destroyed.", "/console/erasures")
            }
        }
        router.get("/console/people") { request, context in
            try await page(request, context) { s in
                let users = try await api.get("/v1/users", as: [StaffUserListing].self, token: s.token, context: context)
                let codes = try await api.get("/v1/enrolment-codes", as: [EnrolmentCodeListing].self, token: s.token, context: context)
                return ConsoleHTML.people(users, codes: codes, session: s)
            }
        }
        router.post("/console/people/approve-user") { request, context in
            try await act(request, context) { s, form in
                let name = form["name"] ?? ""
                let approved = try await api.post(
                    "/v1/users/\(ConsoleAPI.segment(name))/approve", [String: String](), as: UserApproved.self, token: s.token, context: context)
                return ("Approved \(approved.role) \(approved.name): they can sign in.", "/console/people")
            }
        }
        router.post("/console/people/approve-code") { request, context in
            try await act(request, context) { s, form in
                let id = form["id"] ?? ""
                let approved = try await api.post(
                    "/v1/enrolment-codes/\(ConsoleAPI.segment(id))/approve", [String: String](), as: EnrolmentCodeApproved.self, token: s.token,
                    context: context)
                return (
                    "Approved code \(approved.id) for \(approved.contributor): the device it enrols reads only what arrives after it.",
                    "/console/people"
                )
            }
        }
        router.get("/console/devices") { request, context in
            try await page(request, context) { s in
                ConsoleHTML.devices(try await api.get("/v1/devices", as: [DeviceListing].self, token: s.token, context: context), session: s)
            }
        }
        router.post("/console/devices/revoke") { request, context in
            try await act(request, context) { s, form in
                let id = form["id"] ?? ""
                _ = try await api.post(
                    "/v1/devices/\(ConsoleAPI.segment(id))/revoke", [String: String](), as: DeviceRevoked.self, token: s.token, context: context)
                return ("Revoked \(id): its requests, uploads included, are refused from now on.", "/console/devices")
            }
        }
        router.get("/console/policies") { request, context in
            try await page(request, context) { s in
                ConsoleHTML.policies(try await api.get("/v1/policies", as: [PolicyListing].self, token: s.token, context: context), session: s)
            }
        }
        router.post("/console/policies/publish") { request, context in
            try await act(request, context, limit: 2 * DeviceRoutes.maxPolicyBytes + 8192) { s, form in
                let asked = PublishPolicyRequest(
                    document: (form["document"] ?? "").replacingOccurrences(of: "\r\n", with: "\n"),
                    signature: (form["signature"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
                let published = try await api.post("/v1/policies", asked, as: PolicyPublished.self, token: s.token, context: context)
                return ("Published \(published.name) v\(published.version): devices take it at their next sync.", "/console/policies")
            }
        }
        router.get("/console/review") { request, context in
            try await page(request, context) { s in
                ConsoleHTML.review(try await api.get("/v1/review/segments", as: [ReviewListing].self, token: s.token, context: context), session: s)
            }
        }
        router.get("/console/review/{segment}") { request, context in
            try await page(request, context) { s in
                let id = context.parameters.get("segment") ?? ""
                // Read as `admin review open` reads it: the API's scrubbed bundle, its opening audited.
                let tar = try await api.bytes("/v1/review/segments/\(ConsoleAPI.segment(id))", token: s.token, context: context)
                let held: HeldSegmentSteps
                do { held = try HeldSegmentSteps(tar: tar) } catch { return ConsoleHTML.unreadable(id, session: s) }
                let number = request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1
                return ConsoleHTML.reviewSegment(id, held, page: min(max(1, number), held.pages), session: s)
            }
        }
        router.post("/console/review/judge") { request, context in
            try await act(request, context) { s, form in
                let (id, page) = (form["segment"] ?? "", Int(form["page"] ?? "") ?? 1)
                let verdict = form["verdict"] == "bad" ? "bad" : "good"
                let reason = form["reason"].flatMap { $0.isEmpty ? nil : String($0.prefix(200)) }
                let step = Int64(form["step"] ?? "") ?? -1
                _ = try await api.post(
                    "/v1/review/segments/\(ConsoleAPI.segment(id))/verdicts",
                    VerdictsRequest(verdicts: [.init(step: step, verdict: verdict, reason: verdict == "bad" ? reason : nil)]),
                    as: VerdictsRecorded.self, token: s.token, context: context)
                return ("Judged step \(step) \(verdict).", "/console/review/\(ConsoleAPI.segment(id))?page=\(page)#judge-\(step)")
            }
        }
        router.get("/console/datasets") { request, context in
            try await page(request, context) { s in
                let segments = try await api.get("/v1/dataset/segments", as: [DatasetListing].self, token: s.token, context: context)
                let exports = try await api.get("/v1/dataset/exports", as: [DatasetExportListing].self, token: s.token, context: context)
                let erasures = try await api.get("/v1/dataset/erasures", as: [ErasureListing].self, token: s.token, context: context)
                return ConsoleHTML.datasets(segments, exports: exports, erasures: erasures, session: s)
            }
        }
        router.get("/console/datasets/exports/{id}") { request, context in
            try await page(request, context) { s in
                let id = ConsoleAPI.segment(context.parameters.get("id") ?? "")
                let export = try await api.get("/v1/dataset/exports/\(id)", as: DatasetExport.self, token: s.token, context: context)
                let erasures = try await api.get("/v1/dataset/erasures", as: [ErasureListing].self, token: s.token, context: context)
                return ConsoleHTML.datasetExport(export, erasures: erasures, session: s)
            }
        }
        router.get("/console/audit") { request, context in
            try await page(request, context) { s in
                let records = try await api.auditLog(token: s.token, context: context)
                return ConsoleHTML.audit(records, broken: AuditChain.firstBreak(in: records), session: s)
            }
        }
    }

    /// Who is signed in, from the cookie: the API's session, and the CSRF token of its forms.
    struct Session: Sendable {
        var staff: StaffUser
        var token: String
        var csrf: String
        var notice: String?
    }

    private func session(_ request: Request) async throws -> Session? {
        guard let token = request.cookies[Self.cookie]?.value, !token.isEmpty,
            let staff = try await state.metadata.sessionUser(tokenHash: Secret.hash(token), now: state.now())
        else { return nil }
        return Session(staff: staff, token: token, csrf: Self.csrf(for: token))
    }

    /// Derived from the session's token, which only the cookie holds: another site can neither
    /// read it nor make it.
    static func csrf(for token: String) -> String { Secret.hash("understudy console csrf\n" + token) }

    @Sendable func login(_ request: Request, context: CollectorContext) async throws -> Response {
        let form = HTMLForm.fields(String(buffer: try await request.body.collect(upTo: 4096)))
        let asked = LoginRequest(user: form["user"] ?? "", key: (form["key"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        do {
            let signedIn = try await api.post("/v1/login", asked, as: LoginResponse.self, token: nil, context: context)
            var response = Self.redirect("/console")
            response.setCookie(
                Cookie(
                    name: Self.cookie, value: signedIn.token, expires: signedIn.expiresAt, path: "/console", secure: secure, httpOnly: true,
                    sameSite: .strict))
            return response
        } catch let refusal as ConsoleAPI.Refusal {
            return Self.answer(ConsoleHTML.login(failure: refusal.error.message), status: refusal.status)
        }
    }

    /// A page for the signed-in member of staff; the sign-in page for anyone else; what the API
    /// refused, with its status, when their role may not read what the page shows.
    private func page(
        _ request: Request, _ context: CollectorContext, _ render: (Session) async throws -> String
    ) async throws -> Response {
        guard var session = try await session(request) else { return Self.redirect("/console/login") }
        session.notice = request.uri.queryParameters["done"].map(String.init)
        do {
            return Self.answer(try await render(session))
        } catch let refusal as ConsoleAPI.Refusal {
            return Self.answer(ConsoleHTML.refused(refusal, session: session), status: refusal.status)
        }
    }

    /// A form that acts: refused without a session (401) or without the session's CSRF token
    /// (403); then the API call, and back to `path` saying what was done, or what the API said.
    private func act(
        _ request: Request, _ context: CollectorContext, limit: Int = 8192,
        _ action: (Session, [String: String]) async throws -> (done: String, back: String)
    ) async throws -> Response {
        let form = HTMLForm.fields(String(buffer: try await request.body.collect(upTo: limit)))
        guard let session = try await session(request) else {
            return Self.answer(ConsoleHTML.signedOut, status: .unauthorized)
        }
        guard let sent = form["csrf"], HTMLForm.sameSecret(sent, session.csrf) else {
            return Self.answer(ConsoleHTML.forged, status: .forbidden)
        }
        do {
            let (done, back) = try await action(session, form)
            let query = done.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            // `back` may have a query and a fragment of its own: the notice goes between them.
            let (path, fragment) = (back.prefix { $0 != "#" }, back.drop { $0 != "#" })
            return Self.redirect(done.isEmpty ? back : "\(path)\(path.contains("?") ? "&" : "?")done=\(query)\(fragment)")
        } catch let refusal as ConsoleAPI.Refusal {
            return Self.answer(ConsoleHTML.refused(refusal, session: session), status: refusal.status)
        }
    }

    static func redirect(_ path: String) -> Response { secured(Response(status: .seeOther, headers: [.location: path])) }

    static func answer(_ text: String, type: String = "text/html; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
        secured(Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text))))
    }

    private static func secured(_ response: Response) -> Response {
        var response = response
        for (name, value) in securityFields { response.headers[name] = value }
        return response
    }

    private static let securityFields = HTML.securityHeaders(inlineImages: true).map { (HTTPField.Name($0.name)!, $0.value) }
}
