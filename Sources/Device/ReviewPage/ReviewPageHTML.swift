import CollectorAPI
import Datasets
import Foundation
import Privacy
import UnderstudyModel
import Vault

/// The review page's HTML and style sheet, rendered on the server: no script, every value
/// escaped, readable at a phone's width, usable with the keyboard alone.
enum ReviewPageHTML {
    static func page(
        _ report: StatusReport, timeline: Timeline, choices: Choices, held: HeldByCollector, csrf: String, notice: String?
    ) -> String {
        var body: [String] = ["<h1>Understudy</h1>"]
        if let notice, !notice.isEmpty { body.append("<p class=\"notice\" role=\"status\">\(HTML.escape(notice))</p>") }
        body.append(contentsOf: state(report, csrf: csrf))
        body.append(contentsOf: vault(report))
        // Segments wait the review window before upload, when there is somewhere to upload them.
        let enrolled = if case .notEnrolled = held { false } else { true }
        body.append(contentsOf: self.timeline(timeline, reviewWindow: enrolled ? choices.reviewWindow : nil, csrf: csrf))
        body.append(contentsOf: forgetMore(csrf: csrf))
        body.append(contentsOf: consent(choices))
        body.append(contentsOf: exemptions(choices, csrf: csrf))
        body.append(contentsOf: self.held(held, csrf: csrf))
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Understudy: your recording</title><link rel="stylesheet" href="/style.css"></head>
            <body><main>
            \(body.joined(separator: "\n"))
            </main></body></html>

            """
    }

    /// Recording, paused or stopped, and why; what the policy is; whether pages can be read.
    private static func state(_ report: StatusReport, csrf: String) -> [String] {
        var out = ["<section aria-labelledby=\"state\"><h2 id=\"state\">Recording</h2>"]
        guard report.state == "recording", let since = report.since else {
            out.append("<p id=\"recording-state\" class=\"state stopped\">Not recording.</p></section>")
            return out
        }
        let field = csrfField(csrf)
        if let until = report.pausedUntil {
            out.append("<p id=\"recording-state\" class=\"state paused\">Paused until \(time(until)): nothing is recorded.</p>")
            out.append("<form method=\"post\" action=\"/resume\">\(field)<button type=\"submit\" id=\"resume\">Resume now</button></form>")
        } else {
            out.append("<p id=\"recording-state\" class=\"state recording\">Recording since \(time(since)).</p>")
            let buttons = [5, 15, 30].map { "<button type=\"submit\" name=\"minutes\" value=\"\($0)\" id=\"pause-\($0)\">\($0) minutes</button>" }
            out.append(
                "<form method=\"post\" action=\"/pause\">\(field)<fieldset><legend>Pause for</legend>\(buttons.joined())</fieldset></form>")
        }
        if let notStoring = report.notStoring {
            out.append("<p class=\"warning\" role=\"alert\">Not storing: \(HTML.escape(notStoring)). What is captured meanwhile is dropped.</p>")
        }
        if let policy = report.policy { out.append("<p>Policy: \(HTML.escape(policy)).</p>") }
        if let counters = report.counters {
            let unreadable = StatusReport.pagesUnreadable(counters)
            out.append(
                "<p id=\"accessibility\" class=\"\(unreadable ? "warning" : "ok")\">\(HTML.escape(StatusReport.accessibilityLine(counters)))</p>")
            if unreadable {
                let steps = StatusReport.accessibilityFix.map { "<li>\(HTML.escape($0))</li>" }.joined()
                out.append("<p>To have pages read, and recorded by their site's rules:</p><ol id=\"accessibility-fix\">\(steps)</ol>")
            }
        }
        out.append("</section>")
        return out
    }

    private static func vault(_ report: StatusReport) -> [String] {
        guard report.exists else { return ["<section aria-labelledby=\"vault\"><h2 id=\"vault\">Kept</h2><p>Nothing yet.</p></section>"] }
        let events = (report.events ?? [:]).values.reduce(0, +)
        let bytes = ByteCountFormatter.string(fromByteCount: Int64(report.bytesOnDisk ?? 0), countStyle: .file)
        return [
            "<section aria-labelledby=\"vault\"><h2 id=\"vault\">Kept on this computer</h2>",
            "<p id=\"vault-summary\">\(count(report.sessions ?? 0, "session")), \(count(report.segments ?? 0, "segment")), "
                + "\(count(events, "event")), \(count(report.frames ?? 0, "frame")); \(HTML.escape(bytes)), encrypted.</p></section>",
        ]
    }

    /// One day's segments, a page of them at a time, each with a button that forgets it.
    private static func timeline(_ t: Timeline, reviewWindow: TimeInterval?, csrf: String) -> [String] {
        var out = ["<section aria-labelledby=\"timeline\"><h2 id=\"timeline\">\(HTML.escape(Timeline.dayText(t.day)))</h2>"]
        let days = [("previous-day", "Earlier day", t.day.addingTimeInterval(-86_400)), ("next-day", "Later day", t.day.addingTimeInterval(86_400))]
        out.append(
            "<nav aria-label=\"Days\">"
                + days.map { "<a id=\"\($0.0)\" href=\"/?day=\(Timeline.dayParameter($0.2))\">\($0.1)</a>" }.joined(separator: " ") + "</nav>")
        guard !t.segments.isEmpty else {
            out.append("<p id=\"timeline-empty\">Nothing was recorded on this day.</p></section>")
            return out
        }
        out.append("<p>\(count(t.total, "segment")) on this day; each is about a minute of recording, and forgetting one deletes it for good.</p>")
        out.append("<ol id=\"segments\">")
        let field = csrfField(csrf)
        for segment in t.segments {
            let id = HTML.escape(segment.id)
            let size = ByteCountFormatter.string(fromByteCount: segment.bytes, countStyle: .file)
            let state = Self.state(of: segment, reviewWindow: reviewWindow)
            out.append(
                "<li class=\"segment\" id=\"segment-\(id)\">\(time(segment.from))–\(time(segment.to)) · \(count(segment.events, "event")), "
                    + "\(count(segment.frames, "frame")), \(HTML.escape(size))\(Self.places(t.places[segment.id])) · <span class=\"segment-state\">\(state)</span> · "
                    + "<a href=\"/segment/\(id)\" id=\"steps-\(id)\">Steps</a>"
                    + "<form method=\"post\" action=\"/forget\">\(field)<input type=\"hidden\" name=\"segment\" value=\"\(id)\">"
                    + "<button type=\"submit\" id=\"forget-\(id)\" aria-label=\"Forget the segment from \(plainTime(segment.from))\">Forget</button></form></li>"
            )
        }
        out.append("</ol>")
        if t.pages > 1 {
            let links = (1...t.pages).map { n in
                n == t.page
                    ? "<span aria-current=\"page\">\(n)</span>" : "<a href=\"/?day=\(Timeline.dayParameter(t.day))&amp;page=\(n)\">\(n)</a>"
            }
            out.append("<nav aria-label=\"Pages\" id=\"timeline-pages\">\(links.joined(separator: " "))</nav>")
        }
        out.append("</section>")
        return out
    }

    /// ` · in xterm, Chromium · on example.com`: where the segment's recording was, when it says.
    private static func places(_ places: SegmentPlaces?) -> String {
        guard let places else { return "" }
        var out = ""
        if !places.apps.isEmpty { out += " · in <span class=\"segment-apps\">\(HTML.escape(places.apps.joined(separator: ", ")))</span>" }
        if !places.sites.isEmpty { out += " · on <span class=\"segment-sites\">\(HTML.escape(places.sites.joined(separator: ", ")))</span>" }
        return out
    }

    /// Forgetting a time range, or everything, as `forget --from/--to` and `forget --all` do.
    private static func forgetMore(csrf: String) -> [String] {
        let field = csrfField(csrf)
        return [
            "<section aria-labelledby=\"forget\"><h2 id=\"forget\">Forget more</h2>",
            "<form method=\"post\" action=\"/forget-range\">\(field)<label for=\"forget-from\">From</label> "
                + "<input type=\"datetime-local\" id=\"forget-from\" name=\"from\" required> <label for=\"forget-to\">to</label> "
                + "<input type=\"datetime-local\" id=\"forget-to\" name=\"to\" required> "
                + "<button type=\"submit\" id=\"forget-range\">Forget this time</button></form>",
            "<form method=\"post\" action=\"/forget-all\">\(field)<input type=\"checkbox\" id=\"forget-all-sure\" name=\"sure\" value=\"yes\" required> "
                + "<label for=\"forget-all-sure\">I want everything on this computer deleted for good</label> "
                + "<button type=\"submit\" id=\"forget-all\">Forget everything</button></form></section>",
        ]
    }

    /// The consent in force, and in plain words what the policy consented to records.
    private static func consent(_ c: Choices) -> [String] {
        var out = ["<section aria-labelledby=\"consent\"><h2 id=\"consent\">Your consent</h2>"]
        guard let record = c.consent else {
            out.append("<p id=\"consent-state\">No consent in force: nothing is recorded until you accept a policy.</p></section>")
            return out
        }
        out.append(
            "<p id=\"consent-state\">You consented to \(HTML.escape(record.name)) version \(record.version) on \(time(record.acceptedAt, dated: true)).</p>"
        )
        if let explained = c.explanation {
            out.append(
                "<details id=\"policy-explained\"><summary>What this policy records, and what it never does</summary><pre>\(HTML.escape(explained))</pre></details>"
            )
        }
        out.append("</section>")
        return out
    }

    /// Your exemptions, each with a Remove button, a form to add one, and requests waiting for the organisation.
    private static func exemptions(_ c: Choices, csrf: String) -> [String] {
        let field = csrfField(csrf)
        var out = ["<section aria-labelledby=\"exemptions\"><h2 id=\"exemptions\">Kept out of recording</h2>"]
        if c.exemptions.isEmpty { out.append("<p id=\"no-exemptions\">No exemptions.</p>") }
        out.append("<ul id=\"exemption-list\">")
        for e in c.exemptions {
            let id = HTML.escape(e.id)
            out.append(
                "<li id=\"exemption-\(id)\">\(HTML.escape(e.summary)) <form method=\"post\" action=\"/exemptions/remove\">\(field)"
                    + "<input type=\"hidden\" name=\"id\" value=\"\(id)\"><button type=\"submit\" id=\"remove-\(id)\">Remove</button></form></li>")
        }
        for r in c.requests {
            let what = Exemption(kind: r.kind, value: r.value, from: r.from, until: r.until).summary
            out.append(
                "<li class=\"request\">Asked of your organisation: \(HTML.escape(what)) — \(r.sentAt == nil ? "not sent yet" : "sent, awaiting a decision")</li>"
            )
        }
        out.append("</ul>")
        let kinds = [
            "app": "An app (its class, as the timeline's windows show it)", "site": "A site and its subdomains", "title": "Windows titled with",
        ]
        let options = ["app", "site", "title"].map { "<option value=\"\($0)\">\(kinds[$0]!)</option>" }.joined()
        out.append(
            "<form method=\"post\" action=\"/exemptions/add\">\(field)<label for=\"exemption-kind\">Keep out</label> "
                + "<select id=\"exemption-kind\" name=\"kind\">\(options)</select> <label for=\"exemption-value\">named</label> "
                + "<input id=\"exemption-value\" name=\"value\" required maxlength=\"200\"> <button type=\"submit\" id=\"add-exemption\">Add</button></form>"
        )
        out.append(
            "<p>Exemptions only narrow recording, so they need no one's approval; a running recorder applies them within a second.</p>")
        let askable = ["all": "All recording, for a while", "app": "An app", "site": "A site", "title": "Windows titled with"]
        let askOptions = ["all", "app", "site", "title"].map { "<option value=\"\($0)\">\(askable[$0]!)</option>" }.joined()
        out.append(
            "<form method=\"post\" action=\"/exemptions/request\" id=\"request-form\">\(field)<fieldset><legend>Ask your organisation</legend>"
                + "<p>For time away from recording beyond a pause, or an exemption your organisation's privacy officer decides.</p>"
                + "<label for=\"request-kind\">Keep out</label> <select id=\"request-kind\" name=\"kind\">\(askOptions)</select> "
                + "<label for=\"request-value\">named</label> <input id=\"request-value\" name=\"value\" maxlength=\"200\"> "
                + "<label for=\"request-until\">until</label> <input id=\"request-until\" name=\"until\" placeholder=\"3d, or 2026-12-24T09:00:00Z\"> "
                + "<label for=\"request-reason\">because</label> <input id=\"request-reason\" name=\"reason\" required maxlength=\"1000\"> "
                + "<button type=\"submit\" id=\"request-exemption\">Ask</button></fieldset></form></section>")
        return out
    }

    /// What the collector holds about the contributor, and the newest audit records about their data.
    private static func held(_ held: HeldByCollector, csrf: String) -> [String] {
        var out = ["<section aria-labelledby=\"held\"><h2 id=\"held\">What your organisation holds</h2>"]
        switch held {
        case .notEnrolled:
            out.append("<p id=\"held-summary\">This computer is not enrolled with an organisation's collector: nothing has left it.</p>")
        case .unreachable(let why):
            out.append("<p id=\"held-summary\" class=\"warning\">Your organisation's collector could not be reached: \(HTML.escape(why)).</p>")
        case .held(let server, let segments, let audit):
            let bytes = ByteCountFormatter.string(fromByteCount: segments.reduce(0) { $0 + $1.bytes }, countStyle: .file)
            out.append(
                "<p id=\"held-summary\">\(HTML.escape(server)) holds \(count(segments.count, "segment")) of yours (\(HTML.escape(bytes)), "
                    + "scrubbed and encrypted with your data key). Every read, upload and enrolment is in its audit log:</p>")
            let rows = audit.suffix(20).reversed().map { r in
                "<tr><td>\(time(r.at, dated: true))</td><td>\(HTML.escape(r.actor))</td><td>\(HTML.escape(r.action))</td></tr>"
            }
            out.append(
                "<table id=\"held-audit\"><caption>The newest \(min(audit.count, 20)) of \(audit.count) audit records about your data</caption>"
                    + "<tr><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">What</th></tr>\(rows.joined())</table>")
            out.append(heldSegments(segments, csrf: csrf))
            out.append(
                "<p><code>understudy held download</code> gets the segments themselves; <code>understudy held delete ID</code> deletes one there, "
                    + "<code>understudy held erase</code> everything there.</p>"
            )
        }
        out.append("</section>")
        return out
    }

    /// The newest segments the collector holds, each with a button deleting it there.
    private static func heldSegments(_ segments: [SegmentListing], csrf: String) -> String {
        guard !segments.isEmpty else { return "" }
        let rows = segments.sorted { $0.receivedAt > $1.receivedAt }.prefix(50).map { (s: SegmentListing) -> String in
            let (id, size) = (HTML.escape(s.id), HTML.escape(ByteCountFormatter.string(fromByteCount: s.bytes, countStyle: .file)))
            let form: String =
                "<form method=\"post\" action=\"/held/delete\">" + csrfField(csrf) + "<input type=\"hidden\" name=\"segment\" value=\"\(id)\">"
                + "<button type=\"submit\" id=\"delete-held-\(id)\" aria-label=\"Delete there the segment received \(plainTime(s.receivedAt))\">"
                + "Delete there</button></form>"
            return "<tr><td>\(time(s.receivedAt, dated: true))</td><td>\(size)</td><td>\(form)</td></tr>"
        }
        return "<table id=\"held-segments\"><caption>The newest \(rows.count) of \(segments.count) segments there: "
            + "deleting one there takes it, and any reviewer's verdicts on it, off the collector for good</caption>"
            + "<tr><th scope=\"col\">Received</th><th scope=\"col\">Size</th><th scope=\"col\"></th></tr>\(rows.joined())</table>"
    }

    /// A segment's steps, each on the screen it was decided on, with links from step to step.
    static func segment(_ s: SegmentSteps, csrf: String, notice: String? = nil) -> String {
        var body = ["<p><a href=\"/\">Back to the timeline</a></p>"]
        body.append("<h1>Segment \(time(s.segment.from))–\(time(s.segment.to))</h1>")
        if let notice { body.append("<p id=\"notice\" role=\"status\">\(HTML.escape(notice))</p>") }
        guard let episode = s.episode, !s.steps.isEmpty else {
            body.append("<p id=\"no-steps\">No actions in this segment.</p>")
            return document(title: "Understudy: a segment", body: body)
        }
        body.append("<p>\(count(s.steps.count, "step")). Redaction boxes are outlined; what they covered was never stored.</p>")
        for (n, step) in s.steps.enumerated() {
            body.append(StepFigure.html(step, in: episode) { "/frame/\(episode.session.id)/\($0).png" })
            let links = [n > 0 ? (s.steps[n - 1].index, "Previous step") : nil, n + 1 < s.steps.count ? (s.steps[n + 1].index, "Next step") : nil]
            body.append(
                "<nav class=\"steps\" aria-label=\"Steps\">"
                    + links.compactMap { $0 }.map { "<a href=\"#step-\($0.0)\">\($0.1)</a>" }.joined(separator: " ") + "</nav>")
        }
        if s.segment.sealed { body.append(deleteSteps(s, csrf: csrf)) }
        return document(title: "Understudy: a segment", body: body)
    }

    private static func csrfField(_ csrf: String) -> String { "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">" }

    /// Deleting some steps: their events, the screens only they showed, for good.
    private static func deleteSteps(_ s: SegmentSteps, csrf: String) -> String {
        let (first, last) = (s.steps.first?.index ?? 0, s.steps.last?.index ?? 0)
        let number = { (name: String, label: String, value: Int) in
            "<label for=\"delete-\(name)\">\(label)</label> <input type=\"number\" id=\"delete-\(name)\" name=\"\(name)\" "
                + "min=\"\(first)\" max=\"\(last)\" value=\"\(value)\" required>"
        }
        return "<section aria-labelledby=\"delete-steps\"><h2 id=\"delete-steps\">Delete steps</h2>"
            + "<p>The steps go for good, with every screen taken during them. The screen after the last one stays, as the next step's: "
            + "delete that step too if it shows what you want gone.</p>"
            + "<form method=\"post\" action=\"/forget-steps\">" + csrfField(csrf)
            + "<input type=\"hidden\" name=\"segment\" value=\"\(HTML.escape(s.segment.id))\">"
            + number("first", "From step", first) + " " + number("last", "to step", first)
            + " <button type=\"submit\" id=\"delete-steps-button\">Delete these steps</button></form></section>"
    }

    private static func document(title: String, body: [String]) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title))</title><link rel="stylesheet" href="/style.css"></head>
        <body><main>
        \(body.joined(separator: "\n"))
        </main></body></html>

        """
    }

    /// Where a segment is on its way: being recorded, kept here, or waiting out the review window.
    private static func state(of segment: SegmentInfo, reviewWindow: TimeInterval?, now: Date = WallClock.system.now()) -> String {
        guard segment.sealed else { return "being recorded" }
        guard let reviewWindow else { return "kept on this computer" }
        let due = segment.to.addingTimeInterval(reviewWindow)
        return due > now ? "yours to review: uploads after \(time(due, dated: true))" : "uploads at the next sync"
    }

    private static func plainTime(_ date: Date) -> String {
        let format = DateFormatter()
        format.dateFormat = "HH:mm:ss"
        return format.string(from: date)
    }

    private static func time(_ date: Date, dated: Bool = false) -> String {
        let format = DateFormatter()
        format.dateFormat = dated ? "d MMMM yyyy, HH:mm" : "HH:mm"
        return "<time datetime=\"\(RFC3339.string(from: date))\">\(format.string(from: date))</time>"
    }

    static let style =
        HTML.pageStyle + "\n" + """
            .state { font-weight: 600; } .recording { color: #a30000; } .paused, .stopped { color: #1b4d8f; }
            #segments { padding-left: 1.5rem; } .segment { margin: .3rem 0; } .segment form { display: inline; margin-left: .5rem; }
            .segment button { padding: .1rem .6rem; margin: 0; }
            main:has(figure) { max-width: 80rem; }
            """ + "\n" + StepFigure.style
}

/// The segments of one day (local time), newest first, a page of them.
struct Timeline: Sendable {
    static let perPage = 50

    var day: Date
    var page: Int
    var total: Int
    var segments: [SegmentInfo]
    /// The apps and sites of the page's segments, by id.
    var places: [String: SegmentPlaces] = [:]

    var pages: Int { max(1, (total + Self.perPage - 1) / Self.perPage) }

    /// The day `parameter` names (`2026-12-07`), today when it names none.
    static func day(_ parameter: String?, now: Date = WallClock.system.now()) -> Date {
        let calendar = Calendar.current
        guard let parameter, let date = dayFormat.date(from: parameter) else { return calendar.startOfDay(for: now) }
        return calendar.startOfDay(for: date)
    }

    /// The day's segments from the vault, page `page` of them (from 1).
    static func read(_ vault: Vault, day: Date, page: Int) throws -> Timeline {
        let end = day.addingTimeInterval(86_400)
        let all = try vault.segments().filter { $0.to >= day && $0.from < end }.sorted { $0.from > $1.from }
        let pages = max(1, (all.count + perPage - 1) / perPage)
        let page = min(max(1, page), pages)
        let shown = Array(all.dropFirst((page - 1) * perPage).prefix(perPage))
        return Timeline(day: day, page: page, total: all.count, segments: shown, places: try vault.places(of: shown))
    }

    static func dayParameter(_ day: Date) -> String { dayFormat.string(from: day) }

    static func dayText(_ day: Date) -> String {
        let format = DateFormatter()
        format.dateFormat = "EEEE d MMMM yyyy"
        return format.string(from: day)
    }

    private static var dayFormat: DateFormatter {
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd"
        return format
    }
}

/// What the contributor has chosen: the consent in force (and its policy in plain words), and
/// their exemptions and requests.
struct Choices: Sendable {
    var consent: ConsentRecord?
    var explanation: String?
    /// How long segments wait for review before upload, by the policy consented to.
    var reviewWindow: TimeInterval?
    var exemptions: [Exemption]
    var requests: [ExemptionRequest]

    static func read() throws -> Choices {
        let consent = try ConsentStore().current()
        let document = consent.flatMap { try? PolicyDocument(text: $0.document, source: "the policy you consented to") }
        let explanation = document.map { PolicyExplanation.text($0) }
        let stored = try ExemptionStore().load()
        return Choices(
            consent: consent, explanation: explanation, reviewWindow: document?.policy.reviewWindowSeconds, exemptions: stored.exemptions,
            requests: stored.requests)
    }
}
