import CollectorAPI
import Datasets
import Foundation
import Privacy
import UnderstudyModel

/// The console's pages, rendered on the server: no script, every value escaped, forms that
/// work with the keyboard alone, readable at a phone's width.
enum ConsoleHTML {
    static func login(failure: String?) -> String {
        var body = ["<h1>Understudy: staff console</h1>"]
        if let failure { body.append("<p class=\"warning\" role=\"alert\" id=\"login-failure\">Not signed in: \(HTML.escape(failure)).</p>") }
        body.append(
            "<form method=\"post\" action=\"/console/login\"><p><label for=\"user\">Your name</label><br>"
                + "<input id=\"user\" name=\"user\" required autocomplete=\"username\" maxlength=\"64\"></p>"
                + "<p><label for=\"key\">Your key</label> (as <code>admin add-user</code> or <code>admin new-key</code> printed it)<br>"
                + "<input id=\"key\" name=\"key\" type=\"password\" required autocomplete=\"current-password\"></p>"
                + "<button type=\"submit\" id=\"sign-in\">Sign in</button></form>")
        return document("Sign in", body)
    }

    /// What each role does here, and the way to it.
    static func home(_ session: ConsoleRoutes.Session) -> String {
        let (staff, role) = (session.staff, session.staff.role)
        var items: [String] = []
        if role == .privacyOfficer {
            items.append(
                "<li><a href=\"/console/exemptions\" id=\"to-exemptions\">Exemption requests</a>: approve or deny what contributors asked to keep out.</li>"
            )
            items.append(
                "<li><a href=\"/console/erasures\" id=\"to-erasures\">Erasure</a>: carry out a request to erase a contributor, and the erasures and deletions done.</li>"
            )
        }
        if role == .admin || role == .privacyOfficer {
            items.append(
                "<li><a href=\"/console/people\" id=\"to-people\">People and enrolment codes</a>: who signs in here, and the codes not used yet.</li>"
            )
            items.append(
                "<li><a href=\"/console/audit\" id=\"to-audit\">Audit log</a>: every read, upload, decision and sign-in, its hash chain checked.</li>"
            )
        }
        if role == .admin {
            items.append("<li><a href=\"/console/devices\" id=\"to-devices\">Devices</a>: the enrolled ones, and revoking one.</li>")
        }
        items.append(
            "<li><a href=\"/console/policies\" id=\"to-policies\">Policies</a>: each one published, in plain words, and how it differs from the one before"
                + (role == .privacyOfficer ? "; publishing a signed one" : "") + ".</li>")
        if role == .reviewer {
            items.append(
                "<li><a href=\"/console/review\" id=\"to-review\">Segments to review</a>: under pseudonyms, with the steps judged so far.</li>")
        }
        if role == .scientist {
            items.append(
                "<li><a href=\"/console/datasets\" id=\"to-datasets\">Datasets</a>: the segments a dataset can hold, and the erasures your exports must follow.</li>"
            )
        }
        return document(
            "Console",
            [
                "<h1>Signed in as \(HTML.escape(staff.name))</h1>",
                "<p id=\"role\">Role: \(HTML.escape(roleName(role))).</p>",
                "<ul id=\"sections\">\(items.joined())</ul>",
                "<p>No page here shows one person's activity, time or productivity: the collector keeps nothing that would.</p>",
            ], session: session)
    }

    static func exemptions(_ all: [ExemptionListing], session: ConsoleRoutes.Session) -> String {
        let pending = all.filter { $0.status == "pending" }.sorted { $0.requestedAt < $1.requestedAt }
        let decided = all.filter { $0.status != "pending" }.sorted { ($0.decidedAt ?? $0.requestedAt) > ($1.decidedAt ?? $1.requestedAt) }
        var body = ["<h1>Exemption requests</h1>"] + notice(session)
        if pending.isEmpty { body.append("<p id=\"no-pending\">No request is waiting for a decision.</p>") }
        for r in pending {
            let key = HTML.escape("\(r.contributor)-\(r.id)")
            body.append(
                "<section class=\"request\" id=\"request-\(key)\" aria-label=\"Request \(HTML.escape(r.id))\">"
                    + "<h2>\(HTML.escape(r.contributor)) asks to keep out \(HTML.escape(what(r)))</h2>"
                    + "<p>Asked \(time(r.requestedAt)). Reason: \(HTML.escape(r.reason.isEmpty ? "none given" : r.reason))</p>"
                    + "<form method=\"post\" action=\"/console/exemptions/decide\">\(csrf(session))"
                    + hidden("contributor", r.contributor) + hidden("id", r.id)
                    + "<p><label for=\"note-\(key)\">A note for the contributor</label><br><input id=\"note-\(key)\" name=\"note\" maxlength=\"1000\"></p>"
                    + "<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve-\(key)\">Approve</button>"
                    + "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny-\(key)\">Deny</button></form></section>")
        }
        if !decided.isEmpty {
            let rows = decided.prefix(100).map { r in
                "<tr><td>\(HTML.escape(r.contributor))</td><td>\(HTML.escape(what(r)))</td><td class=\"decision\">\(HTML.escape(r.status))</td>"
                    + "<td>\(HTML.escape(r.decidedBy ?? ""))</td><td>\(r.decidedAt.map { time($0) } ?? "")</td></tr>"
            }
            body.append(
                table(
                    "decided", caption: "Decided (the newest \(min(decided.count, 100)) of \(decided.count))",
                    columns: ["Contributor", "Kept out", "Decision", "By", "When"], rows: rows))
        }
        return document("Exemption requests", body, session: session)
    }

    static func people(_ users: [StaffUserListing], codes: [EnrolmentCodeListing], session: ConsoleRoutes.Session) -> String {
        let officer = session.staff.role == .privacyOfficer
        var body = ["<h1>People and enrolment codes</h1>"] + notice(session)
        let rows = users.sorted { $0.name < $1.name }.map { u in
            let approve =
                u.awaitingApproval && officer
                ? button("/console/people/approve-user", ("name", u.name), id: "approve-user-\(u.name)", label: "Approve", session: session)
                : (u.awaitingApproval ? "awaits a privacy officer's approval" : "can sign in")
            return
                "<tr id=\"user-\(HTML.escape(u.name))\"><td>\(HTML.escape(u.name))</td><td>\(HTML.escape(u.role))</td><td>\(time(u.createdAt))</td><td>\(approve)</td></tr>"
        }
        body.append(table("users", caption: "Staff", columns: ["Name", "Role", "Since", "State"], rows: rows))
        body.append(
            "<p>Adding staff and issuing codes stay commands (<code>understudy admin add-user</code>, <code>admin enroll-code</code>): each prints a secret once, which belongs in a terminal, not a page.</p>"
        )
        if codes.isEmpty { body.append("<p id=\"no-codes\">No enrolment code is waiting to be used.</p>") }
        if !codes.isEmpty {
            let rows = codes.map { c in
                let approve =
                    officer && c.approvedBy == nil
                    ? button(
                        "/console/people/approve-code", ("id", c.id), id: "approve-code-\(c.id)", label: "Approve for a contributor with a device",
                        session: session)
                    : HTML.escape(c.approvedBy.map { "approved by \($0)" } ?? "")
                return
                    "<tr><td>\(HTML.escape(c.id))</td><td>\(HTML.escape(c.contributor))</td><td>\(HTML.escape(c.createdBy))</td><td>\(time(c.expiresAt))</td><td>\(approve)</td></tr>"
            }
            body.append(
                table("codes", caption: "Enrolment codes not used yet", columns: ["Id", "Contributor", "Made by", "Expires", "Approval"], rows: rows))
        }
        return document("People", body, session: session)
    }

    static func devices(_ devices: [DeviceListing], session: ConsoleRoutes.Session) -> String {
        var body = ["<h1>Devices</h1>"] + notice(session)
        if devices.isEmpty { body.append("<p id=\"no-devices\">No device is enrolled.</p>") }
        let rows = devices.sorted { $0.enrolledAt > $1.enrolledAt }.map { d in
            let state =
                d.revokedAt.map { "revoked \(time($0))" }
                ?? button(
                    "/console/devices/revoke", ("id", d.id), id: "revoke-\(d.id)", label: "Revoke", ariaLabel: "Revoke \(d.name) of \(d.contributor)",
                    session: session)
            return
                "<tr id=\"device-\(HTML.escape(d.id))\"><td>\(HTML.escape(d.id))</td><td>\(HTML.escape(d.contributor))</td><td>\(HTML.escape(d.name))</td><td>\(time(d.enrolledAt))</td><td>\(state)</td></tr>"
        }
        if !devices.isEmpty {
            body.append(table("devices", caption: "Enrolled devices", columns: ["Id", "Contributor", "Name", "Enrolled", "State"], rows: rows))
        }
        return document("Devices", body, session: session)
    }

    /// Newest first, each compared with the one before it as a device compares them before it
    /// asks its contributor for consent again.
    static func policies(_ policies: [PolicyListing], session: ConsoleRoutes.Session) -> String {
        var body = ["<h1>Policies</h1>"] + notice(session)
        let ordered = policies.sorted { $0.publishedAt < $1.publishedAt }
        if ordered.isEmpty { body.append("<p id=\"no-policies\">No policy is published: devices record under their own until one is.</p>") }
        for (n, listing) in ordered.enumerated().reversed() {
            let document = try? PolicyDocument(text: listing.document, source: "policy \(listing.name) v\(listing.version)")
            var section = [
                "<section class=\"policy\" id=\"policy-\(listing.version)\"><h2>\(HTML.escape(listing.name)) version \(listing.version)</h2>",
                "<p>Published \(time(listing.publishedAt)); hash \(HTML.escape(String(listing.hash.prefix(16)))).</p>",
            ]
            if n > 0, let document, let before = try? PolicyDocument(text: ordered[n - 1].document, source: "the policy before") {
                section.append(comparison(PolicyComparison.widenings(from: before.policy, to: document.policy), with: ordered[n - 1].version))
            }
            if let document {
                section.append("<details><summary>In plain words</summary><pre>\(HTML.escape(PolicyExplanation.text(document)))</pre></details>")
            }
            section.append("<details><summary>The signed document</summary><pre>\(HTML.escape(listing.document))</pre></details></section>")
            body.append(section.joined())
        }
        if session.staff.role == .privacyOfficer {
            body.append(
                "<form method=\"post\" action=\"/console/policies/publish\" id=\"publish-form\">\(csrf(session))<fieldset><legend>Publish a policy</legend>"
                    + "<p>Sign it first with the organisation's key (<code>understudy policy sign</code>): the collector takes only documents a key it trusts signed.</p>"
                    + "<p><label for=\"document\">The policy (YAML)</label><br><textarea id=\"document\" name=\"document\" rows=\"12\" cols=\"80\" required></textarea></p>"
                    + "<p><label for=\"signature\">Its signature (the .sig file)</label><br><textarea id=\"signature\" name=\"signature\" rows=\"3\" cols=\"80\" required></textarea></p>"
                    + "<button type=\"submit\" id=\"publish\">Publish</button></fieldset></form>")
        }
        return document("Policies", body, session: session)
    }

    /// Whether a policy records more than the one before, in the words a device's consent prompt uses.
    private static func comparison(_ widenings: [String], with version: Int) -> String {
        guard !widenings.isEmpty else {
            return "<p class=\"comparison\">Compared with version \(version): it records nothing more, so contributors keep their consent.</p>"
        }
        return
            "<div class=\"comparison warning\"><p>Compared with version \(version) it records more, so each contributor is asked to consent again:</p><ul>"
            + widenings.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul></div>"
    }

    /// Erasure: a form carrying out a request to erase a contributor (a privacy officer's act),
    /// and what was erased or deleted, by whom, from the audit log.
    static func erasures(_ records: [AuditRecordListing], session: ConsoleRoutes.Session) -> String {
        var body = ["<h1>Erasure</h1>"] + notice(session)
        body.append(
            "<p>A contributor can erase everything here from their own device (<code>held erase</code>), or delete one segment. "
                + "A request that reaches you another way is carried out here: the data key goes first, so no copy opens again, backups included; "
                + "then the segments. A tombstone (the id and the time) and the audit records stay.</p>")
        body.append(
            "<form method=\"post\" action=\"/console/erasures/erase\">\(csrf(session))<fieldset><legend>Erase a contributor</legend>"
                + "<label for=\"erase-contributor\">Their id</label> <input id=\"erase-contributor\" name=\"contributor\" required maxlength=\"200\"> "
                + "<input type=\"checkbox\" id=\"erase-sure\" name=\"sure\" value=\"yes\" required> "
                + "<label for=\"erase-sure\">Nothing of theirs can be recovered afterwards</label> "
                + "<button type=\"submit\" id=\"erase\">Erase</button></fieldset></form>")
        let done = records.filter { ["contributor_erased", "segment_deleted", "retention_erased"].contains($0.action) }.suffix(100).reversed()
        if done.isEmpty { body.append("<p id=\"no-erasures\">Nothing has been erased or deleted yet.</p>") }
        if !done.isEmpty {
            let rows = done.map { r in
                "<tr><td>\(time(r.at))</td><td>\(HTML.escape(r.action))</td><td>\(HTML.escape(r.subject ?? ""))</td><td>\(HTML.escape(r.actor))</td></tr>"
            }
            body.append(
                table(
                    "erasures-done",
                    caption: "The newest \(done.count) erasures and deletions (by the contributor's device, an officer, or retention)",
                    columns: ["When", "What", "Contributor", "By"], rows: Array(rows)))
        }
        return document("Erasure", body, session: session)
    }

    /// The segments under their pseudonyms, with what has been judged of them.
    static func review(_ segments: [ReviewListing], session: ConsoleRoutes.Session) -> String {
        var body = ["<h1>Segments to review</h1>"]
        if segments.isEmpty { body.append("<p id=\"no-segments\">No segment is held yet.</p>") }
        if !segments.isEmpty {
            let rows = segments.map { r in
                "<tr><td><a href=\"/console/review/\(HTML.escape(ConsoleAPI.segment(r.id)))\">\(HTML.escape(r.id))</a></td><td>\(HTML.escape(r.contributor))</td>"
                    + "<td>\(size(r.bytes))</td><td>\(r.stepsJudged)</td><td>\(r.stepsBad)</td></tr>"
            }
            body.append(
                table(
                    "review-segments", caption: "Held segments (sizes rounded, no times: nothing here says who or when)",
                    columns: ["Segment", "Contributor", "Size", "Steps judged", "Bad"], rows: rows))
        }
        body.append("<p>Open a segment to see its steps on their screens and judge them (as <code>understudy admin review</code> does).</p>")
        return document("Review", body, session: session)
    }

    /// A held segment's steps, a page of them: each on the screen it was decided on, with its
    /// action drawn over it, and a form judging it good or bad.
    static func reviewSegment(_ id: String, _ held: HeldSegmentSteps, page: Int, session: ConsoleRoutes.Session) -> String {
        var body = ["<p><a href=\"/console/review\">Back to the segments</a></p>", "<h1>Segment \(HTML.escape(id))</h1>"] + notice(session)
        body.append(
            "<p id=\"review-summary\">\(held.steps.count) step(s), page \(page) of \(held.pages). "
                + "Times are shifted and names replaced: nothing here says who or when.</p>")
        let shown = held.page(page)
        guard let episode = held.episode, !shown.isEmpty else {
            body.append("<p id=\"no-steps\">No actions in this segment.</p>")
            return document("Review", body, session: session)
        }
        body.append(held.strips(for: shown))
        for step in shown {
            body.append(StepFigure.html(step, in: episode, picture: held.picture(of: step)))
            body.append(judge(id, step: step, page: page, session: session))
        }
        let links = [page > 1 ? (page - 1, "Previous page") : nil, page < held.pages ? (page + 1, "Next page") : nil].compactMap { $0 }
        body.append(
            "<nav aria-label=\"Pages\">"
                + links.map { "<a href=\"/console/review/\(HTML.escape(ConsoleAPI.segment(id)))?page=\($0.0)\">\($0.1)</a>" }.joined(separator: " ")
                + "</nav>")
        return document("Review", body, session: session)
    }

    /// Good, or bad with a reason, for one step (named by its t_ns, as exports name it).
    private static func judge(_ id: String, step: EpisodeStep, page: Int, session: ConsoleRoutes.Session) -> String {
        let name = "step-\(step.startNs)"
        return
            "<form class=\"judge\" id=\"judge-\(step.startNs)\" method=\"post\" action=\"/console/review/judge\">\(csrf(session))\(hidden("segment", id))"
            + "\(hidden("step", String(step.startNs)))\(hidden("page", String(page)))"
            + "<fieldset><legend>Step \(step.index) (t_ns \(step.startNs))</legend>"
            + "<button type=\"submit\" name=\"verdict\" value=\"good\" id=\"good-\(name)\">Good</button>"
            + "<label for=\"reason-\(name)\">Reason, if bad</label> <input id=\"reason-\(name)\" name=\"reason\" maxlength=\"200\" "
            + "placeholder=\"unredacted, wrong_action\"> <button type=\"submit\" name=\"verdict\" value=\"bad\" id=\"bad-\(name)\">Bad</button>"
            + "</fieldset></form>"
    }

    static func unreadable(_ id: String, session: ConsoleRoutes.Session) -> String {
        document(
            "Review",
            [
                "<h1>Segment \(HTML.escape(id))</h1>",
                "<p class=\"warning\" role=\"alert\">This segment's bundle does not read as a segment: it cannot be reviewed here.</p>",
            ], session: session)
    }

    /// What a dataset can hold, and the erasures that exports made before must follow.
    static func datasets(_ segments: [DatasetListing], erasures: [ErasureListing], session: ConsoleRoutes.Session) -> String {
        var body = ["<h1>Datasets</h1>"]
        let rejected = segments.reduce(0) { $0 + $1.rejectedSteps.count }
        body.append(
            "<p id=\"dataset-summary\">\(segments.count) segment(s) of \(Set(segments.map(\.contributor)).count) pseudonymous contributor(s), "
                + "\(size(segments.reduce(0) { $0 + $1.bytes })); \(rejected) step(s) judged bad are left out of exports.</p>")
        body.append(
            "<p><code>understudy export --server URL</code> builds a dataset from them; each segment exported is in its contributor's audit log.</p>")
        if erasures.isEmpty { body.append("<p id=\"no-erasures\">No contributor has been erased.</p>") }
        if !erasures.isEmpty {
            let rows = erasures.map { "<tr><td>\(HTML.escape($0.contributor))</td><td>\(HTML.escape($0.erasedOn))</td></tr>" }
            body.append(
                table(
                    "erasures",
                    caption:
                        "Erased contributors: delete their data from exports made before the day (<code>understudy admin erasures --check</code>)",
                    columns: ["Contributor", "Erased on"], rows: rows))
        }
        return document("Datasets", body, session: session)
    }

    private static func size(_ bytes: Int64) -> String { HTML.escape(ByteCountFormatter.string(fromByteCount: bytes, countStyle: .file)) }

    static func audit(_ records: [AuditRecordListing], broken: AuditRecordListing?, session: ConsoleRoutes.Session) -> String {
        var body = ["<h1>Audit log</h1>"]
        if let broken {
            body.append(
                "<p id=\"audit-chain\" class=\"warning\" role=\"alert\">BROKEN at record \(broken.seq) (\(HTML.escape(broken.action))): a record was removed or edited.</p>"
            )
        } else {
            body.append(
                "<p id=\"audit-chain\">Intact: \(records.count) records, each holding the hash of the one before (last \(HTML.escape(String(records.last?.hash.prefix(16) ?? "none")))).</p>"
            )
        }
        let rows = records.suffix(100).reversed().map { r in
            "<tr><td>\(r.seq)</td><td>\(time(r.at))</td><td>\(HTML.escape(r.actor))</td><td>\(HTML.escape(r.action))</td><td>\(HTML.escape(r.subject ?? ""))</td></tr>"
        }
        body.append(
            table("audit", caption: "The newest \(min(records.count, 100)) records", columns: ["#", "When", "Who", "What", "About"], rows: rows))
        body.append("<p><code>understudy admin audit</code> prints every record in full.</p>")
        return document("Audit log", body, session: session)
    }

    static func refused(_ refusal: ConsoleAPI.Refusal, session: ConsoleRoutes.Session) -> String {
        document(
            "Refused",
            [
                "<h1>Not for your role</h1>",
                "<p id=\"refused\" class=\"warning\" role=\"alert\">The collector refused (\(refusal.status.code) \(HTML.escape(refusal.error.code))): \(HTML.escape(refusal.error.message)).</p>",
                "<p><a href=\"/console\">Back to the console</a></p>",
            ], session: session)
    }

    static let signedOut = document(
        "Signed out", ["<h1>Signed out</h1>", "<p>Your session ended: <a href=\"/console/login\">sign in</a> again.</p>"])
    static let forged = document("Refused", ["<h1>Refused</h1>", "<p>This form is not from the console.</p>"])

    static let style =
        HTML.pageStyle + "\n" + """
            header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; padding: .5rem 1rem; background: #eef1f5; }
            header form { display: inline; margin-left: auto; } header button { margin: 0; }
            main { max-width: 64rem; } .request { border-top: 1px solid #ccc; margin-top: 1rem; }
            td form { display: inline; } td button { padding: .1rem .6rem; margin: 0; }
            input, textarea { font: inherit; padding: .3rem; max-width: 100%; }
            pre { white-space: pre-wrap; background: #f0f0f0; padding: .5rem; }
            svg.strips { position: absolute; } form.judge legend { font-weight: normal; }
            """ + "\n" + StepFigure.style + "\n"
        + "figure.step .frame { width: fit-content; max-width: 100%; } .frame svg.picture { width: auto; max-width: 100%; height: auto; }"

    /// A page; signed in, with who is signed in and the sign-out button in its header.
    private static func document(_ title: String, _ body: [String], session: ConsoleRoutes.Session? = nil) -> String {
        let header =
            session.map { s in
                "<header><a href=\"/console\">Console</a><span>\(HTML.escape(s.staff.name)), \(HTML.escape(roleName(s.staff.role)))</span>"
                    + "<form method=\"post\" action=\"/console/logout\">\(csrf(s))"
                    + "<button type=\"submit\" id=\"sign-out\">Sign out</button></form></header>"
            } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Understudy console: \(HTML.escape(title))</title><link rel="stylesheet" href="/console/style.css"></head>
            <body>\(header)<main>
            \(body.joined(separator: "\n"))
            </main></body></html>

            """
    }

    private static func notice(_ session: ConsoleRoutes.Session) -> [String] {
        guard let notice = session.notice, !notice.isEmpty else { return [] }
        return ["<p class=\"notice\" role=\"status\">\(HTML.escape(notice))</p>"]
    }

    /// A table of `rows` (each a `<tr>` already), its `columns` headed for screen readers.
    private static func table(_ id: String, caption: String, columns: [String], rows: [String]) -> String {
        "<table id=\"\(id)\"><caption>\(caption)</caption><tr>" + columns.map { "<th scope=\"col\">\($0)</th>" }.joined() + "</tr>"
            + rows.joined() + "</table>"
    }

    /// A form of one button posting `field` (and the session's CSRF token) to `action`.
    private static func button(
        _ action: String, _ field: (String, String), id: String, label: String, ariaLabel: String? = nil, session: ConsoleRoutes.Session
    ) -> String {
        let aria = ariaLabel.map { " aria-label=\"\(HTML.escape($0))\"" } ?? ""
        return "<form method=\"post\" action=\"\(action)\">\(csrf(session))\(hidden(field.0, field.1))"
            + "<button type=\"submit\" id=\"\(HTML.escape(id))\"\(aria)>\(label)</button></form>"
    }

    private static func csrf(_ session: ConsoleRoutes.Session) -> String { hidden("csrf", session.csrf) }

    private static func hidden(_ name: String, _ value: String) -> String {
        "<input type=\"hidden\" name=\"\(name)\" value=\"\(HTML.escape(value))\">"
    }

    /// What a request keeps out, and for how long.
    private static func what(_ r: ExemptionListing) -> String {
        let target = r.kind == "all" ? "all capture" : "the \(r.kind) \(r.value)"
        switch (r.from, r.until) {
        case (nil, nil): return target
        case (let from, let until?): return "\(target) from \(RFC3339.string(from: from ?? r.requestedAt)) until \(RFC3339.string(from: until))"
        case (let from?, nil): return "\(target) from \(RFC3339.string(from: from))"
        }
    }

    private static func roleName(_ role: StaffRole) -> String { role == .privacyOfficer ? "privacy officer" : role.rawValue }

    private static func time(_ date: Date) -> String {
        let format = DateFormatter()
        format.dateFormat = "d MMM yyyy, HH:mm"
        format.timeZone = TimeZone(identifier: "UTC")
        return "<time datetime=\"\(RFC3339.string(from: date))\">\(format.string(from: date)) UTC</time>"
    }
}
