import Capture
import Foundation
import TestSupport
import Testing
import UnderstudyModel

/// A member of staff signed in to the console with curl: their cookie jar and the CSRF token of their forms.
struct ConsoleSignIn {
    let jar: String
    let csrf: String
    let origin: String

    init(_ org: Organisation, user: String, keyFile: String) throws {
        origin = org.collector.url
        jar = org.me.config.appendingPathComponent("console-\(user)-\(UUID().uuidString.prefix(6)).jar").path
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let answer = try ReviewPage.curl("-c", jar, "--data-urlencode", "user=\(user)", "--data-urlencode", "key=\(key)", origin + "/console/login")
        #expect(ReviewPage.status(answer) == 303, "\(user) did not sign in: \(answer.prefix(600))")
        let home = try ReviewPage.curl("-b", jar, origin + "/console")
        csrf = home.firstRange(of: #/name="csrf" value="([^"]+)"/#).map { String(home[$0].split(separator: "\"")[3]) } ?? ""
    }

    func get(_ path: String) throws -> String { try ReviewPage.curl("-b", jar, origin + path) }

    func post(_ path: String, _ fields: String...) throws -> String {
        try ReviewPage.curl(["-b", jar, "-X", "POST"] + fields.flatMap { ["--data-urlencode", $0] } + [origin + path])
    }
}

extension WebDriver {
    /// Signs in to the console at `collector` as the organisation's privacy officer.
    func signInAsOfficer(_ org: Organisation) async throws { try await signIn(org, user: "olivia", keyFile: org.officerKey) }

    /// Signs in to the console at `collector` as `user`, with the key in `keyFile`.
    func signIn(_ org: Organisation, user: String, keyFile: URL) async throws {
        try await open(org.collector.url + "/console/login")
        try await type(user, into: "#user")
        try await type(try String(contentsOf: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), into: "#key")
        try await click("#sign-in")
    }
}

@Suite("The staff console", .serialized)
struct ConsoleTests {
    @Test(
        "In a real browser a contributor asks on their review page to keep an app out; a privacy officer signs in to the console with their key and approves it; the device's next sync applies it, and the review page lists it; the console's audit page shows the decision and an intact hash chain"
    )
    func officerApprovesAnExemption() async throws {
        let org = try Organisation()
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let page = try ReviewPage(org.me, vault: vault)
        defer { page.stop() }
        let browser = try await WebDriver()
        try await browser.open(page.address)
        try await browser.click("#request-kind option[value=app]")
        try await browser.type("Gimp", into: "#request-value")
        try await browser.click("#request-exemption")
        #expect(!(try org.me.run("exempt", "list").stdout.contains("request ")), "asked without a reason")
        try await browser.type("personal photos", into: "#request-reason")
        try await browser.click("#request-exemption")
        #expect(try await browser.text(of: ".notice").hasPrefix("Asked your organisation"))
        #expect(try await browser.text(of: "#exemption-list .request").contains("not sent yet"))
        #expect(try org.me.run("sync", "--vault", vault).stdout.contains("Sent 1 exemption request(s)"))

        try await browser.open(org.collector.url + "/console/exemptions")
        #expect(try await browser.currentURL().hasSuffix("/console/login"), "a page without a session sends the browser to sign in")
        try await browser.type("olivia", into: "#user")
        try await browser.type("wrong", into: "#key")
        try await browser.click("#sign-in")
        #expect(try await browser.text(of: "#login-failure").contains("wrong key"))
        try await browser.signInAsOfficer(org)
        #expect(try await browser.text(of: "#role") == "Role: privacy officer.")
        try await browser.click("#to-exemptions")
        #expect(try await browser.text(of: ".request h2") == "alice asks to keep out the app Gimp")
        try await browser.type("fine by us", into: "input[id^=note-alice-]")
        try await browser.click("button[id^=approve-alice-]")
        #expect(try await browser.text(of: ".notice").hasPrefix("Approved request"))
        #expect(try await browser.text(of: "#no-pending") == "No request is waiting for a decision.")
        #expect(try await browser.text(of: "#decided .decision") == "approved")

        let synced = try org.me.run("sync", "--vault", vault)
        #expect(synced.stdout.contains("approved exempting app Gimp (fine by us)"), "\(synced.stdout)\(synced.stderr)")
        #expect(try org.me.run("exempt", "list").stdout.contains("Gimp"))
        try await browser.open(page.origin + "/")
        #expect(try await browser.text(of: "#exemption-list").contains("Gimp"))

        try await browser.open(org.collector.url + "/console/audit")
        #expect(try await browser.text(of: "#audit-chain").hasPrefix("Intact:"))
        let audit = try await browser.text(of: "#audit")
        #expect(audit.contains("user:olivia") && audit.contains("exemption_decided"), "\(audit)")
        try await browser.click("#sign-out")
        #expect(try await browser.currentURL().hasSuffix("/console/login"))
        await browser.quit()
    }

    @Test(
        "In a real browser a reviewer opens a held segment in the console: each step is drawn on its screen from the bundle's own tiles, with its action over it, and no planted card number or address typed in it is on any page; judging a step bad with a reason records it, as the list and admin review list say, and opening the segment is in the audit log"
    )
    func reviewerJudgesASegment() async throws {
        let org = try Organisation()
        try org.enrol()
        let planted = ["4111 1111 1111 1111", "4111111111111111", "jane.doe@example.org"]
        let vault = try await org.record(typing: "zebra quokka card \(planted[0]) mail \(planted[2])")
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        let rita = try org.staff("rita", role: "reviewer")
        let listed = try org.me.run(["admin", "review", "list", "--json"] + rita).stdout.split(separator: "\n").compactMap {
            try? JSONValue.parse(Data($0.utf8))
        }
        let segment = try #require(listed.first { $0["bytes"]?.intValue ?? 0 > 0 }?["id"]?.stringValue)

        let browser = try await WebDriver()
        try await browser.signIn(org, user: "rita", keyFile: URL(fileURLWithPath: try #require(rita.last)))
        try await browser.open(org.collector.url + "/console/review")
        try await browser.click("a[href='/console/review/\(segment)']")
        #expect(try await browser.text(of: "#review-summary").contains("step(s)"))
        let source = try await browser.source()
        #expect(source.contains("data:image/"), "the strips are not in the page")
        #expect(!source.contains("alice"), "the contributor's id is on the reviewer's page")
        for value in planted { #expect(!source.contains(value), "\(value) is on the reviewer's page") }
        // The screen, as the browser drew it from the strips: not a blank box.
        let png = try await browser.screenshot(of: "svg.picture")
        let drawn = try PixelCodec.decode(png, codec: .png)
        var counts: [UInt32: Int] = [:]
        for i in stride(from: 0, to: drawn.pixels.count, by: 4) {
            let p = drawn.pixels
            counts[UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]), default: 0] += 1
        }
        let commonest = Double(counts.values.max() ?? 0) / Double(drawn.width * drawn.height)
        #expect(counts.count > 4 && commonest < 0.99, "the screen is blank: \(counts.count) colours, commonest \(commonest)")

        // The typing step's figure, and the form after it.
        let figure = try #require(source.components(separatedBy: "<figure ").first { $0.contains("zebra quokka") }, "no step types the text")
        let typed = try #require(figure.firstMatch(of: #/name="step" value="(\d+)"/#).map { String($0.1) })
        try await browser.type("wrong_action", into: "#reason-step-\(typed)")
        try await browser.click("#bad-step-\(typed)")
        #expect(try await browser.text(of: ".notice") == "Judged step \(typed) bad.")
        try await browser.open(org.collector.url + "/console/review")
        #expect(try await browser.text(of: "#review-segments").contains(segment))
        let listPage = try await browser.source()
        for value in planted { #expect(!listPage.contains(value), "\(value) is on the review list") }
        let judged = try org.me.run(["admin", "review", "list", "--json"] + rita).stdout.split(separator: "\n").compactMap {
            try? JSONValue.parse(Data($0.utf8))
        }
        #expect(judged.first { $0["id"]?.stringValue == segment }?["steps_bad"]?.intValue == 1, "\(judged)")
        let audit = try org.me.run(["admin", "audit"] + org.officer).stdout
        #expect(audit.contains("\"segment_reviewed\"") && audit.contains("\"steps_reviewed\""), "\(audit.suffix(800))")
        await browser.quit()
    }

    @Test(
        "In a real browser a privacy officer carries out an erasure request in the console: without the box ticked nothing is erased; with it the contributor's segments and data key go, their device is refused from then on, and the page lists the erasure with who did it"
    )
    func officerErasesAContributor() async throws {
        let org = try Organisation()
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        let held = try org.me.run("held", "list").stdout.split(separator: "\n").count
        #expect(held >= 1)

        let browser = try await WebDriver()
        try await browser.signInAsOfficer(org)
        try await browser.click("#to-erasures")
        #expect(try await browser.text(of: "#no-erasures").hasPrefix("Nothing has been erased"))
        try await browser.type("alice", into: "#erase-contributor")
        try await browser.click("#erase")
        #expect(try !org.me.run("held", "list").stdout.isEmpty, "erased without the box ticked")
        try await browser.click("#erase-sure")
        try await browser.click("#erase")
        #expect(try await browser.text(of: ".notice") == "Erased alice: \(held) segment(s) deleted, their data key destroyed.")
        let done = try await browser.text(of: "#erasures-done")
        #expect(done.contains("contributor_erased") && done.contains("alice") && done.contains("user:olivia"), "\(done)")
        #expect(try org.collector.blobFiles().isEmpty)
        #expect(try org.me.run("held", "list").status != 0, "the erased contributor's device is still let in")
        await browser.quit()
    }

    @Test(
        "In a real browser a privacy officer publishes a signed policy in the console: the page compares it with the one before (it records more, so contributors are asked again) and explains it in plain words; a document whose signature does not match is refused with the API's reason"
    )
    func officerPublishesAPolicy() async throws {
        let org = try Organisation()
        let folder = URL(fileURLWithPath: org.policy).deletingLastPathComponent()
        let first = try String(contentsOfFile: org.policy, encoding: .utf8)
        // Version 2 drops version 1's only rule: it records an app version 1 kept out.
        let second = first.replacingOccurrences(of: "version: 1\n", with: "version: 2\n")
            .replacingOccurrences(of: "  - app: NoSuchApp\n    action: exclude", with: "  - app: OtherApp\n    action: exclude")
        let file = folder.appendingPathComponent("policy-v2.yaml")
        try Data(second.utf8).write(to: file)
        #expect(try org.me.run("policy", "sign", "--key", folder.appendingPathComponent("org.key").path, file.path).status == 0)
        let signature = try String(contentsOfFile: file.path + ".sig", encoding: .utf8)

        let browser = try await WebDriver()
        try await browser.signInAsOfficer(org)
        try await browser.click("#to-policies")
        #expect(try await browser.text(of: "#policy-1 h2") == "test-policy version 1")
        try await browser.type(second + "\n# edited after signing", into: "#document")
        try await browser.type(signature, into: "#signature")
        try await browser.click("#publish")
        #expect(try await browser.text(of: "#refused").contains("signature"), "a document edited after signing is refused")
        try await browser.open(org.collector.url + "/console/policies")
        try await browser.type(second, into: "#document")
        try await browser.type(signature, into: "#signature")
        try await browser.click("#publish")
        #expect(try await browser.text(of: ".notice").hasPrefix("Published test-policy v2"))
        let comparison = try await browser.text(of: "#policy-2 .comparison")
        #expect(comparison.contains("records more") && comparison.contains("NoSuchApp"), "\(comparison)")
        #expect(try await browser.source().contains("never records"), "the policy is not explained")
        let listed = try org.me.run(["admin", "audit"] + org.officer).stdout
        #expect(listed.components(separatedBy: "\"policy_published\"").count - 1 == 2, "each publication is audited once")
        await browser.quit()
    }

    @Test(
        "Without a session every console page sends the browser to sign in and every form answers 401; the session is the API's, in an HttpOnly, SameSite=Strict cookie for /console only, and signing out ends it; a form without the page's CSRF token is refused and changes nothing; each role reaches its pages only, and a form its role may not send is refused by the API, changing nothing"
    )
    func security() async throws {
        let org = try Organisation()
        try org.enrol()
        #expect(try org.me.run("exempt", "request", "--app", "Gimp", "--reason", "personal photos").status == 0)
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        let origin = org.collector.url

        let pages = [
            "/console", "/console/exemptions", "/console/people", "/console/devices", "/console/audit", "/console/policies", "/console/review",
            "/console/datasets", "/console/erasures",
        ]
        let forms = [
            "/console/exemptions/decide", "/console/people/approve-user", "/console/people/approve-code", "/console/devices/revoke",
            "/console/logout",
        ]
        for path in pages {
            let answer = try ReviewPage.curl(origin + path)
            #expect(ReviewPage.status(answer) == 303 && answer.lowercased().contains("location: /console/login"), "\(path): \(answer.prefix(300))")
        }
        for path in forms { #expect(ReviewPage.status(try ReviewPage.curl("-X", "POST", "-d", "csrf=x", origin + path)) == 401, "\(path)") }

        let officer = try ConsoleSignIn(org, user: "olivia", keyFile: org.officerKey.path)
        let cookie = try String(contentsOfFile: officer.jar, encoding: .utf8)
        #expect(cookie.contains("#HttpOnly_") && cookie.contains("\t/console\t"), "\(cookie)")
        let login = try ReviewPage.curl(
            "--data-urlencode", "user=olivia", "--data-urlencode", "key=\(try String(contentsOf: org.officerKey, encoding: .utf8))",
            origin + "/console/login")
        let setCookie = login.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") } ?? ""
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/console"), "\(setCookie)")
        #expect(try officer.get("/console").contains("Content-Security-Policy: default-src 'none'"))

        // A cross-site form: the officer's cookie, not the page's CSRF token.
        let exemptions = try officer.get("/console/exemptions")
        let id = try #require(exemptions.firstRange(of: #/name="id" value="([^"]+)"/#).map { String(exemptions[$0].split(separator: "\"")[3]) })
        for csrf in ["", "forged"] {
            let answer = try officer.post("/console/exemptions/decide", "csrf=\(csrf)", "contributor=alice", "id=\(id)", "decision=approve")
            #expect(ReviewPage.status(answer) == 403, "\(answer.prefix(300))")
        }
        #expect(try org.me.run(["admin", "exemptions"] + org.officer).stdout.contains(id), "a refused form decided the request")

        // Each role, its pages.
        let admin = try ConsoleSignIn(org, user: "admin", keyFile: org.collector.adminKey)
        let reviewerKey = try org.staff("rita", role: "reviewer").last!
        let scientistKey = try org.staff("sam", role: "scientist").last!
        let sessions = [
            "admin": admin, "privacy_officer": officer,
            "reviewer": try ConsoleSignIn(org, user: "rita", keyFile: reviewerKey),
            "scientist": try ConsoleSignIn(org, user: "sam", keyFile: scientistKey),
        ]
        let allowed: [String: Set<String>] = [
            "/console": ["admin", "privacy_officer", "reviewer", "scientist"], "/console/exemptions": ["privacy_officer"],
            "/console/people": ["admin", "privacy_officer"], "/console/devices": ["admin"], "/console/audit": ["admin", "privacy_officer"],
            "/console/policies": ["admin", "privacy_officer", "reviewer", "scientist"], "/console/review": ["reviewer"],
            "/console/datasets": ["scientist"], "/console/erasures": ["admin", "privacy_officer"],
        ]
        for path in pages {
            for (role, session) in sessions {
                let status = ReviewPage.status(try session.get(path))
                #expect(status == (allowed[path]!.contains(role) ? 200 : 403), "\(role) on \(path): \(status)")
            }
        }
        // A registered export's page is the scientist's, and the privacy officer's, who acts on erasures.
        for (role, session) in sessions {
            let status = ReviewPage.status(try session.get("/console/datasets/exports/x-none"))
            #expect(status == (["scientist", "privacy_officer"].contains(role) ? 404 : 403), "\(role) on an export: \(status)")
        }
        // A held segment's page, and its verdict form, are the reviewer's only.
        let reviewList = try sessions["reviewer"]!.get("/console/review")
        let handle = try #require(reviewList.firstMatch(of: #/href="/console/review/([^"]+)"/#).map { String($0.1) }, "\(reviewList)")
        for (role, session) in sessions {
            let status = ReviewPage.status(try session.get("/console/review/\(handle)"))
            #expect(status == (role == "reviewer" ? 200 : 403), "\(role) on a held segment: \(status)")
            guard role != "reviewer" else { continue }
            let judged = try session.post("/console/review/judge", "csrf=\(session.csrf)", "segment=\(handle)", "step=1", "verdict=bad")
            #expect(ReviewPage.status(judged) == 403, "\(role) judged a step: \(judged.prefix(300))")
        }
        let device = org.deviceID
        for role in ["privacy_officer", "reviewer", "scientist"] {
            let answer = try sessions[role]!.post("/console/devices/revoke", "csrf=\(sessions[role]!.csrf)", "id=\(device)")
            #expect(ReviewPage.status(answer) == 403 && answer.contains("your role may not revoke devices"), "\(role): \(answer.prefix(400))")
        }
        for role in ["admin", "reviewer", "scientist"] {
            let answer = try sessions[role]!.post(
                "/console/exemptions/decide", "csrf=\(sessions[role]!.csrf)", "contributor=alice", "id=\(id)", "decision=approve")
            #expect(ReviewPage.status(answer) == 403, "\(role): \(answer.prefix(400))")
        }
        for role in ["admin", "reviewer", "scientist"] {
            let answer = try sessions[role]!.post("/console/erasures/erase", "csrf=\(sessions[role]!.csrf)", "contributor=alice", "sure=yes")
            #expect(ReviewPage.status(answer) == 403, "\(role) erased a contributor: \(answer.prefix(400))")
        }
        #expect(try !org.me.run("held", "list").stdout.isEmpty, "a refused form erased the contributor")
        for role in ["admin", "reviewer", "scientist"] {
            let answer = try sessions[role]!.post("/console/policies/publish", "csrf=\(sessions[role]!.csrf)", "document=x", "signature=y")
            #expect(ReviewPage.status(answer) == 403 && answer.contains("your role may not publish policies"), "\(role): \(answer.prefix(400))")
        }
        #expect(try org.me.run(["admin", "devices"] + org.admin).stdout.contains("revoked") == false, "a refused form revoked the device")
        #expect(try org.me.run(["admin", "exemptions"] + org.officer).stdout.contains(id), "a refused form decided the request")
        // The admin's own form does revoke it: the refusals above are the roles, not a broken form.
        let revoked = try admin.post("/console/devices/revoke", "csrf=\(admin.csrf)", "id=\(device)")
        #expect(ReviewPage.status(revoked) == 303, "\(revoked.prefix(600))")
        #expect(try admin.get("/console/devices").contains("revoked"))

        #expect(ReviewPage.status(try officer.post("/console/logout", "csrf=\(officer.csrf)")) == 303)
        #expect(ReviewPage.status(try officer.get("/console/audit")) == 303, "the session ended")
    }
}
