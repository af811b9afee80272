import CollectorAPI
import Foundation
import Testing
import UnderstudyModel

@testable import Collector

/// The console's pages as their templates render them, without a server: every template fills,
/// what staff or contributors typed is shown as text and never becomes markup, and every form
/// that acts carries the session's CSRF token. (The flows through a real browser are in
/// CommandLineTests/ConsoleTests.)
@Suite("The console's page templates")
struct ConsolePageTests {
    static let at = Date(timeIntervalSince1970: 1_800_000_000)
    /// What a hostile contributor or member of staff could put into any field a page shows.
    static let markup = "<script>alert(1)</script>&\"'"
    static let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"

    func session(_ role: StaffRole, notice: String? = nil) -> ConsoleRoutes.Session {
        ConsoleRoutes.Session(
            staff: StaffUser(name: "sam", role: role, keyHash: "k", createdAt: Self.at), token: "t", csrf: "CSRF-TOKEN", notice: notice)
    }

    /// Every page each role reaches, filled with a hostile value wherever one can go.
    func pages() -> [String: String] {
        let officer = session(.privacyOfficer, notice: "Done with \(Self.markup)")
        let x = Self.markup
        let exemption = ExemptionListing(
            contributor: x, id: x, kind: "app", value: x, reason: x, requestedAt: Self.at, status: "pending", decidedAt: nil, decidedBy: nil,
            note: nil, from: nil, until: nil)
        var decided = exemption
        (decided.status, decided.decidedAt, decided.decidedBy) = ("approved", Self.at, x)
        let record = AuditRecordListing(
            seq: 1, at: Self.at, atMs: 0, actor: x, action: "contributor_erased", subject: x, detail: "{}", previousHash: "", hash: "h")
        let export = DatasetExportListing(
            id: "x-1", scientist: x, registeredAt: Self.at, format: "jsonl", episodes: 1, steps: 2, frames: 3, segments: ["s-1"],
            sessions: [ExportedSession(id: x, contributor: "p-1")])
        let erased = [ErasureListing(contributor: "p-1", erasedOn: "2027-01-15")]
        return [
            "login": ConsoleHTML.login(failure: x),
            "home": ConsoleHTML.home(officer),
            "exemptions": ConsoleHTML.exemptions([exemption, decided], session: officer),
            "people": ConsoleHTML.people(
                [StaffUserListing(name: x, role: "reviewer", createdAt: Self.at, awaitingApproval: true)],
                codes: [EnrolmentCodeListing(id: x, contributor: x, createdBy: x, expiresAt: Self.at, approvedBy: nil, allowsHistory: false)],
                session: officer),
            "devices": ConsoleHTML.devices(
                [DeviceListing(id: x, contributor: x, name: x, enrolledAt: Self.at, revokedAt: nil)], session: session(.admin, notice: x)),
            "erasures": ConsoleHTML.erasures([record], session: officer),
            "review": ConsoleHTML.review(
                [ReviewListing(id: x, contributor: x, bytes: 65536, stepsJudged: 1, stepsBad: 0)], session: session(.reviewer)),
            "datasets": ConsoleHTML.datasets([], exports: [export], erasures: erased, session: session(.scientist)),
            "export": ConsoleHTML.datasetExport(DatasetExport(export: export, manifest: x), erasures: erased, session: session(.scientist)),
            "audit": ConsoleHTML.audit([record], broken: record, session: officer),
            "refused": ConsoleHTML.refused(
                ConsoleAPI.Refusal(status: .forbidden, error: ErrorBody(code: "forbidden", message: x)), session: session(.reviewer)),
            "unreadable": ConsoleHTML.unreadable(x, session: session(.reviewer)),
            "signed out": ConsoleHTML.signedOut, "forged": ConsoleHTML.forged,
        ]
    }

    @Test("Every console page renders whole from its template: a document, its layout, no tag left unfilled")
    func everyPageRenders() {
        for (name, page) in pages() {
            #expect(page.hasPrefix("<!doctype html>"), "\(name)")
            #expect(page.contains("<link rel=\"stylesheet\" href=\"/console/style.css\">"), "\(name)")
            #expect(page.hasSuffix("</main></body></html>\n"), "\(name)")
            #expect(!page.contains("{{") && !page.contains("}}"), "\(name) has a tag left")
        }
    }

    @Test("What anyone typed appears as text, escaped exactly once, never as markup")
    func valuesAreEscaped() {
        for (name, page) in pages() where !["signed out", "forged", "home"].contains(name) {
            #expect(!page.contains("<script>"), "\(name) shows markup")
            #expect(page.contains(Self.escaped), "\(name) does not show the value as text")
            #expect(!page.contains("&amp;lt;"), "\(name) escapes twice")
        }
    }

    @Test("Every form that acts carries the session's CSRF token, and a signed-in page says who is signed in")
    func formsCarryTheToken() {
        for (name, page) in pages() {
            let forms = page.components(separatedBy: "<form method=\"post\"").count - 1
            let tokens = page.components(separatedBy: "<input type=\"hidden\" name=\"csrf\" value=\"CSRF-TOKEN\">").count - 1
            let signedIn = !["login", "signed out", "forged"].contains(name)
            #expect(forms == tokens + (name == "login" ? 1 : 0), "\(name): \(forms) forms, \(tokens) tokens")
            #expect(page.contains("id=\"sign-out\"") == signedIn, "\(name)")
        }
    }

    @Test("An export lists what it must delete: contributors in it erased on its day or after, not those erased before it")
    func exportsToActOn() {
        let export = DatasetExportListing(
            id: "x-1", scientist: "sam", registeredAt: Self.at, format: "jsonl", episodes: 2, steps: 5, frames: 3, segments: ["s-1", "s-2"],
            sessions: [ExportedSession(id: "a", contributor: "p-1"), ExportedSession(id: "b", contributor: "p-2")])
        let day = String(RFC3339.string(from: Self.at).prefix(10))
        let erasures = [
            ErasureListing(contributor: "p-1", erasedOn: day), ErasureListing(contributor: "p-2", erasedOn: "2020-01-01"),
            ErasureListing(contributor: "p-9", erasedOn: "2099-01-01"),
        ]
        #expect(ExportRow.erasedSince(export, erasures).map(\.contributor) == ["p-1"])
        let list = ConsoleHTML.datasets([], exports: [export], erasures: erasures, session: session(.scientist))
        #expect(list.contains("<td class=\"act\">delete 1 erased contributor(s)</td>"))
        let page = ConsoleHTML.datasetExport(DatasetExport(export: export, manifest: "{}"), erasures: erasures, session: session(.scientist))
        #expect(page.contains("<li>p-1 (erased on \(day)): sessions a</li>"))
        #expect(!page.contains("p-2 (erased"))
        let none = ConsoleHTML.datasets([], exports: [export], erasures: [], session: session(.scientist))
        #expect(none.contains("<td class=\"\">nothing</td>"))
    }
}
