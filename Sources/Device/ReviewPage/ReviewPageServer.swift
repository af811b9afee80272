import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOPosix
import Privacy
import ServiceLifecycle
import UnderstudyModel
import Vault

/// The contributor's review page: served by the device itself on 127.0.0.1, to whoever opens
/// the address it prints (a one-time token, exchanged for an HttpOnly, SameSite=Strict session
/// cookie). It shows whether the recorder is recording, paused or stopped and why, whether
/// browser pages can be read and how to fix it when not, and what the vault holds; it pauses
/// and resumes the recorder. Every asset is its own (no CDN), under a strict
/// Content-Security-Policy.
public struct ReviewPageServer: Sendable {
    public let vault: URL
    public let port: Int
    /// Warnings and errors only by default: the address is the one line the contributor needs.
    public var logger: Logger
    let sessions = ReviewSessions()

    public init(vault: URL, port: Int = 0) {
        self.vault = vault
        self.port = port
        logger = Logger(label: "understudy.review")
        logger.logLevel = .warning
    }

    /// Serves until SIGTERM or SIGINT. `onReady` gets the address to open, token included.
    public func run(onReady: @escaping @Sendable (String) -> Void) async throws {
        let sessions = sessions
        let app = Application(
            router: ReviewPageRoutes(vault: vault, sessions: sessions).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "understudy-review"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let token = await sessions.startToken ?? ""
                onReady("http://127.0.0.1:\(port)/?token=\(token)")
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// The page's routes: the token exchange, the page, its style sheet, pause and resume.
struct ReviewPageRoutes: Sendable {
    typealias Context = BasicRequestContext
    static let cookie = "understudy_review"

    let vault: URL
    let sessions: ReviewSessions

    func router() -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: SecurityHeaders())
        router.add(middleware: SessionRequired(sessions: sessions))
        router.get("/") { request, _ in try await page(request) }
        router.get("/style.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: ReviewPageHTML.style)))
        }
        router.post("/pause") { request, context in try await change(request, context) { form in .pause(minutes: Int(form["minutes"] ?? "") ?? 15) } }
        router.post("/resume") { request, context in try await change(request, context) { _ in .resume } }
        router.get("/segment/:id") { request, context in try await segment(context.parameters.get("id") ?? "", request) }
        router.get("/frame/:session/:file") { _, context in try await frame(context.parameters.get("session"), context.parameters.get("file")) }
        router.post("/forget") { request, context in try await change(request, context) { form in .forget(segment: form["segment"] ?? "") } }
        router.post("/forget-steps") { request, context in
            try await change(request, context) { form in
                .forgetSteps(segment: form["segment"] ?? "", first: Int(form["first"] ?? "") ?? 0, last: Int(form["last"] ?? "") ?? 0)
            }
        }
        router.post("/held/delete") { request, context in
            try await change(request, context) { form in (await HeldByCollector.delete(form["segment"] ?? ""), "/") }
        }
        router.post("/forget-range") { request, context in
            try await change(request, context) { form in .forgetRange(from: form["from"] ?? "", to: form["to"] ?? "") }
        }
        router.post("/forget-all") { request, context in try await change(request, context) { form in .forgetAll(sure: form["sure"] == "yes") } }
        router.post("/exemptions/add") { request, context in
            try await change(request, context) { form in .addExemption(kind: form["kind"] ?? "", value: form["value"] ?? "") }
        }
        router.post("/exemptions/request") { request, context in
            try await change(request, context) { form in
                .requestExemption(kind: form["kind"] ?? "", value: form["value"] ?? "", reason: form["reason"] ?? "", until: form["until"] ?? "")
            }
        }
        router.post("/exemptions/remove") { request, context in try await change(request, context) { form in .removeExemption(id: form["id"] ?? "") }
        }
        return router
    }

    /// The token exchange (then on to `/`, or to `next`, a path of this page's, without it), or the page.
    private func page(_ request: Request) async throws -> Response {
        if let token = request.uri.queryParameters["token"] {
            guard let session = await sessions.exchange(String(token)) else { return Self.refused }
            let next = request.uri.queryParameters["next"].map(String.init).flatMap(Self.localPath) ?? "/"
            var response = Response(status: .seeOther, headers: [.location: next])
            response.setCookie(Cookie(name: Self.cookie, value: session, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        let csrf = await sessions.csrf(for: request.cookies[Self.cookie]?.value) ?? ""
        let vault = vault
        let query = request.uri.queryParameters
        let day = Timeline.day(query["day"].map(String.init))
        let page = query["page"].flatMap { Int(String($0)) } ?? 1
        let (report, timeline, choices) = try await NIOThreadPool.singleton.runIfActive {
            let report = try StatusReport.read(vault: vault)
            let choices = try Choices.read()
            guard report.exists else { return (report, Timeline(day: day, page: 1, total: 0, segments: []), choices) }
            let opened = try Vault(at: vault, create: false)
            defer { opened.close() }
            return (report, try Timeline.read(opened, day: day, page: page), choices)
        }
        let held = await HeldByCollector.read()
        let html = ReviewPageHTML.page(
            report, timeline: timeline, choices: choices, held: held, csrf: csrf, notice: query["done"].map(String.init))
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A segment's steps on their screens, and the form that deletes some of them.
    private func segment(_ id: String, _ request: Request) async throws -> Response {
        let vault = vault
        let csrf = await sessions.csrf(for: request.cookies[Self.cookie]?.value) ?? ""
        let notice = request.uri.queryParameters["done"].map(String.init)
        let html = try await NIOThreadPool.singleton.runIfActive { () throws -> String? in
            let opened = try Vault(at: vault, create: false)
            defer { opened.close() }
            guard try opened.segments().contains(where: { $0.id == id }) else { return nil }
            return ReviewPageHTML.segment(try SegmentSteps.read(opened, segment: id), csrf: csrf, notice: notice)
        }
        guard let html else { return Self.notFound }
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A stored frame as PNG, by its session and hash (`HASH.png`), read when the page asks.
    private func frame(_ session: String?, _ file: String?) async throws -> Response {
        guard let session, let file, file.hasSuffix(".png") else { return Self.notFound }
        let hash = String(file.dropLast(4))
        guard hash.count == 32, hash.allSatisfy(\.isHexDigit) else { return Self.notFound }
        let vault = vault
        let png = try await NIOThreadPool.singleton.runIfActive { () -> Data? in
            guard let opened = try? Vault(at: vault, create: false) else { return nil }
            defer { opened.close() }
            guard let stored = try? opened.sessions().first(where: { $0.id == session }) else { return nil }
            return try? VaultRecordingSource(vault: opened).png(hash, of: stored)
        }
        guard let png else { return Self.notFound }
        return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
    }

    /// `path` when it is one of this page's (`/segment/ID`), never another origin's (`//host`).
    static func localPath(_ path: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.#=&?")
        guard path.hasPrefix("/"), !path.hasPrefix("//"), path.count <= 200, path.allSatisfy(allowed.contains) else { return nil }
        return path
    }

    static let notFound = Response(
        status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "Not found.\n")))

    /// A form that changes something: its CSRF token must be the session's; then the recorder
    /// is asked, and the browser goes back to the page, which says what was done.
    private func change(
        _ request: Request, _ context: Context, _ action: @Sendable ([String: String]) -> ReviewAction
    ) async throws -> Response {
        let vault = vault
        return try await change(request, context) { form in
            let asked = action(form)
            let done = try await NIOThreadPool.singleton.runIfActive { asked.perform(vault: vault) }
            return (done, asked.returnPath)
        }
    }

    /// The same for what is not the recorder's or the vault's to do (asking the collector):
    /// `act` answers what was done and where the browser goes back to.
    private func change(
        _ request: Request, _ context: Context, act: @Sendable ([String: String]) async throws -> (done: String, back: String)
    ) async throws -> Response {
        let body = try await request.body.collect(upTo: 4096)
        let form = HTMLForm.fields(String(buffer: body))
        let csrf = await sessions.csrf(for: request.cookies[Self.cookie]?.value)
        guard let csrf, let sent = form["csrf"], HTMLForm.sameSecret(sent, csrf) else {
            return Response(
                status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "This form is not from the review page.\n")))
        }
        let (done, back) = try await act(form)
        let query = done.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return Response(status: .seeOther, headers: [.location: "\(back)?done=\(query)"])
    }

    static let refused = Response(
        status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: "Open the address `understudy review` printed: this one is used or wrong.\n")))
}

/// What a form on the page asks of the recorder.
enum ReviewAction: Sendable {
    case pause(minutes: Int)
    case resume
    /// Forgets a segment as `understudy forget --segment` does.
    case forget(segment: String)
    /// Deletes steps `first` through `last` of a segment (their numbers on its page).
    case forgetSteps(segment: String, first: Int, last: Int)
    /// Forgets what has anything between two local times (`2026-12-07T10:00`), as `forget --from --to` does.
    case forgetRange(from: String, to: String)
    /// Forgets everything, as `forget --all` does, once the contributor ticked that they are sure.
    case forgetAll(sure: Bool)
    case addExemption(kind: String, value: String)
    case removeExemption(id: String)
    /// Asks the organisation, as `exempt request` does: kept here until the next sync sends it.
    case requestExemption(kind: String, value: String, reason: String, until: String)

    /// Asks the running recorder, or the vault; what it answered, or why it could not.
    func perform(vault: URL) -> String {
        let request: ControlRequest
        switch self {
        case .pause(let minutes): request = ControlRequest(.pause, seconds: Double([5, 15, 30].contains(minutes) ? minutes : 15) * 60)
        case .resume: request = ControlRequest(.resume)
        case .forget(let segment): return Self.forget(.segments([segment]), vault: vault)
        case .forgetSteps(let segment, let first, let last): return Self.forgetSteps(segment, first...max(first, last), vault: vault)
        case .forgetRange(let from, let to):
            guard let start = Self.localTime(from), let end = Self.localTime(to) else { return "Give both times, as the form's fields ask." }
            return Self.forget(.range(from: start, to: end), vault: vault)
        case .forgetAll(let sure):
            return sure ? Self.forget(.all, vault: vault) : "Nothing forgotten: tick that you want everything deleted first."
        case .addExemption(let kind, let value):
            let value = value.trimmingCharacters(in: .whitespaces)
            guard let kind = Exemption.Kind(rawValue: kind), kind != .all, !value.isEmpty, value.count <= 200 else { return "Say what to keep out." }
            do {
                let added = try ExemptionStore().add(kind, value)
                return "Kept out from now on: \(added.summary)."
            } catch { return "\(error)" }
        case .requestExemption(let kind, let value, let reason, let until):
            return Self.request(kind: kind, value: value, reason: reason, until: until)
        case .removeExemption(let id):
            do {
                let removed = try ExemptionStore().remove(id: id)
                return "Removed: \(removed.summary)."
            } catch { return "\(error)" }
        }
        do {
            return try ControlSocket.send(request, vault: vault).message ?? "done"
        } catch {
            return "\(error)"
        }
    }
}

extension ReviewAction {
    /// A request for an exemption of the organisation's: all capture for a period, or an app,
    /// site or title (for a period when `until` is given); checked as `exempt request` checks it.
    static func request(kind: String, value: String, reason: String, until: String) -> String {
        let (value, reason, until) = (
            value.trimmingCharacters(in: .whitespaces), reason.trimmingCharacters(in: .whitespaces), until.trimmingCharacters(in: .whitespaces)
        )
        guard let kind = Exemption.Kind(rawValue: kind) else { return "Say what to keep out." }
        guard kind == .all || (!value.isEmpty && value.count <= 200) else { return "Say what to keep out." }
        guard !reason.isEmpty, reason.count <= 1000 else { return "Give a reason, for the officer who decides." }
        guard kind != .all || !until.isEmpty else { return "Time away from all recording is for a period: say until when." }
        do {
            let period = try ExemptionStore.period(from: nil, until: until.isEmpty ? nil : until)
            let asked = try ExemptionStore().request(kind, kind == .all ? "*" : value, reason: reason, period: period)
            return "Asked your organisation (request \(asked.id)): it is sent at the next sync, and the decision comes back with the one after."
        } catch {
            return "\(error)"
        }
    }

    /// Where the browser goes once it is done: back to the segment whose steps went, else the timeline.
    var returnPath: String {
        guard case .forgetSteps(let segment, _, _) = self else { return "/" }
        return ReviewPageRoutes.localPath("/segment/\(segment)") ?? "/"
    }

    static func forgetSteps(_ segment: String, _ steps: ClosedRange<Int>, vault: URL) -> String {
        do {
            let opened = try Vault(at: vault, create: false)
            defer { opened.close() }
            guard try opened.segments().contains(where: { $0.id == segment }) else { return "There is no such segment any more." }
            let read = try SegmentSteps.read(opened, segment: segment)
            guard let span = read.span(first: steps.lowerBound, last: steps.upperBound) else {
                return "No steps \(steps.lowerBound)–\(steps.upperBound) in this segment: give numbers the page shows."
            }
            let deleted = try opened.forgetSteps(
                session: read.segment.session, fromNs: span.lowerBound, toNs: span.upperBound, recoder: TileStripRecoder())
            return "Deleted steps \(steps.lowerBound)–\(steps.upperBound): \(deleted.events) events and \(deleted.frames) screens, for good."
        } catch {
            return "\(error)"
        }
    }

    static func forget(_ selection: Vault.ForgetSelection, vault: URL) -> String {
        do {
            let opened = try Vault(at: vault, create: false)
            defer { opened.close() }
            let outcome = try opened.forget(selection)
            guard outcome.beingRecorded.isEmpty else {
                return outcome.text + " What is being recorded was not dropped by the recorder within 5 s: stop recording and forget it again."
            }
            return outcome.text
        } catch {
            return "\(error)"
        }
    }

    /// A `datetime-local` field's value, in this computer's time zone.
    static func localTime(_ text: String) -> Date? {
        let format = DateFormatter()
        format.dateFormat = text.count > 16 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm"
        return format.date(from: text)
    }
}

/// Every answer: no other origin may frame, script or style it, nothing is cached or sent on.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // A 404 or a body too large is an answer too.
            response = try error.response(from: request, context: context)
        }
        for (name, value) in Self.fields { response.headers[name] = value }
        return response
    }

    static let fields: [(HTTPField.Name, String)] = HTML.securityHeaders.map { (HTTPField.Name($0.name)!, $0.value) }
}

/// Nothing answers without a session, except the token exchange itself.
struct SessionRequired: RouterMiddleware {
    typealias Context = BasicRequestContext
    let sessions: ReviewSessions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let exchanging = request.method == .get && request.uri.path == "/" && request.uri.queryParameters["token"] != nil
        let session = await sessions.csrf(for: request.cookies[ReviewPageRoutes.cookie]?.value)
        guard exchanging || session != nil else { return ReviewPageRoutes.refused }
        return try await next(request, context)
    }
}
