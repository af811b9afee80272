import CollectorAPI
import Foundation
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
        if items.isEmpty {
            items.append(
                "<li>Your role works through the API and its commands (<code>understudy admin review</code>, <code>admin erasures</code>); its pages here are still to come.</li>"
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
                "<table id=\"decided\"><caption>Decided (the newest \(min(decided.count, 100)) of \(decided.count))</caption>"
                    + "<tr><th scope=\"col\">Contributor</th><th scope=\"col\">Kept out</th><th scope=\"col\">Decision</th><th scope=\"col\">By</th><th scope=\"col\">When</th></tr>"
                    + rows.joined() + "</table>")
        }
        return document("Exemption requests", body, session: session)
    }

    static func people(_ users: [StaffUserListing], codes: [EnrolmentCodeListing], session: ConsoleRoutes.Session) -> String {
        let officer = session.staff.role == .privacyOfficer
        var body = ["<h1>People and enrolment codes</h1>"] + notice(session)
        let rows = users.sorted { $0.name < $1.name }.map { u in
            let approve =
                u.awaitingApproval && officer
                ? "<form method=\"post\" action=\"/console/people/approve-user\">\(csrf(session))\(hidden("name", u.name))"
                    + "<button type=\"submit\" id=\"approve-user-\(HTML.escape(u.name))\">Approve</button></form>"
                : (u.awaitingApproval ? "awaits a privacy officer's approval" : "can sign in")
            return
                "<tr id=\"user-\(HTML.escape(u.name))\"><td>\(HTML.escape(u.name))</td><td>\(HTML.escape(u.role))</td><td>\(time(u.createdAt))</td><td>\(approve)</td></tr>"
        }
        body.append(
            "<table id=\"users\"><caption>Staff</caption><tr><th scope=\"col\">Name</th><th scope=\"col\">Role</th><th scope=\"col\">Since</th><th scope=\"col\">State</th></tr>"
                + rows.joined() + "</table>")
        body.append(
            "<p>Adding staff and issuing codes stay commands (<code>understudy admin add-user</code>, <code>admin enroll-code</code>): each prints a secret once, which belongs in a terminal, not a page.</p>"
        )
        if codes.isEmpty { body.append("<p id=\"no-codes\">No enrolment code is waiting to be used.</p>") }
        if !codes.isEmpty {
            let rows = codes.map { c in
                let approve =
                    officer && c.approvedBy == nil
                    ? "<form method=\"post\" action=\"/console/people/approve-code\">\(csrf(session))\(hidden("id", c.id))"
                        + "<button type=\"submit\" id=\"approve-code-\(HTML.escape(c.id))\">Approve for a contributor with a device</button></form>"
                    : HTML.escape(c.approvedBy.map { "approved by \($0)" } ?? "")
                return
                    "<tr><td>\(HTML.escape(c.id))</td><td>\(HTML.escape(c.contributor))</td><td>\(HTML.escape(c.createdBy))</td><td>\(time(c.expiresAt))</td><td>\(approve)</td></tr>"
            }
            body.append(
                "<table id=\"codes\"><caption>Enrolment codes not used yet</caption><tr><th scope=\"col\">Id</th><th scope=\"col\">Contributor</th>"
                    + "<th scope=\"col\">Made by</th><th scope=\"col\">Expires</th><th scope=\"col\">Approval</th></tr>" + rows.joined() + "</table>")
        }
        return document("People", body, session: session)
    }

    static func devices(_ devices: [DeviceListing], session: ConsoleRoutes.Session) -> String {
        var body = ["<h1>Devices</h1>"] + notice(session)
        if devices.isEmpty { body.append("<p id=\"no-devices\">No device is enrolled.</p>") }
        let rows = devices.sorted { $0.enrolledAt > $1.enrolledAt }.map { d in
            let state =
                d.revokedAt.map { "revoked \(time($0))" }
                ?? "<form method=\"post\" action=\"/console/devices/revoke\">\(csrf(session))\(hidden("id", d.id))"
                + "<button type=\"submit\" id=\"revoke-\(HTML.escape(d.id))\" aria-label=\"Revoke \(HTML.escape(d.name)) of \(HTML.escape(d.contributor))\">Revoke</button></form>"
            return
                "<tr id=\"device-\(HTML.escape(d.id))\"><td>\(HTML.escape(d.id))</td><td>\(HTML.escape(d.contributor))</td><td>\(HTML.escape(d.name))</td><td>\(time(d.enrolledAt))</td><td>\(state)</td></tr>"
        }
        if !devices.isEmpty {
            body.append(
                "<table id=\"devices\"><caption>Enrolled devices</caption><tr><th scope=\"col\">Id</th><th scope=\"col\">Contributor</th><th scope=\"col\">Name</th>"
                    + "<th scope=\"col\">Enrolled</th><th scope=\"col\">State</th></tr>" + rows.joined() + "</table>")
        }
        return document("Devices", body, session: session)
    }

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
            "<table id=\"audit\"><caption>The newest \(min(records.count, 100)) records</caption><tr><th scope=\"col\">#</th><th scope=\"col\">When</th>"
                + "<th scope=\"col\">Who</th><th scope=\"col\">What</th><th scope=\"col\">About</th></tr>" + rows.joined() + "</table>")
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
            input { font: inherit; padding: .3rem; max-width: 100%; }
            """

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
