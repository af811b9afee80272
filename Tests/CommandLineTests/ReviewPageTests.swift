import Foundation
import TestSupport
import Testing
import UnderstudyModel

/// `understudy review --no-browser` on a vault, and the address it printed first.
struct ReviewPage {
    let process: (Process, Pipe, Pipe)
    let address: String
    /// The address without its token: `http://127.0.0.1:PORT`.
    var origin: String { String(address.prefix { $0 != "?" }.dropLast()) }

    init(_ me: Contributor, vault: String) throws {
        process = try me.start(["review", "--no-browser", "--vault", vault])
        var printed = ""
        while !printed.contains("\n") {
            let chunk = process.1.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        let first = printed.split(separator: "\n").first.map(String.init) ?? ""
        let prefix = "Review page: "
        guard first.hasPrefix(prefix + "http://127.0.0.1:"), first.contains("/?token=") else {
            Issue.record("the first line is not the page's address: \(printed)")
            address = ""
            return
        }
        address = String(first.dropFirst(prefix.count))
    }

    func stop() {
        kill(process.0.processIdentifier, SIGTERM)
        _ = Understudy.finish(process)
    }

    /// curl's answer to `arguments`: the status line and headers, then the body (`-i`).
    static func curl(_ arguments: String...) throws -> String { try curl(arguments) }

    static func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-i", "--max-time", "20"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func status(_ answer: String) -> Int { Int(answer.split(separator: " ").dropFirst().first ?? "") ?? 0 }
}

@Suite("The contributor's review page", .serialized)
struct ReviewPageTests {
    @Test(
        "In a real browser the printed address opens the page, which leaves the token out of the address bar and says the recorder is recording; its buttons pause and resume the recorder, as status agrees"
    )
    func pauseAndResume() async throws {
        let session = try await TypingSession()
        let page = try ReviewPage(session.me, vault: session.vault)
        defer { page.stop() }
        let browser = try await WebDriver()
        try await browser.open(page.address)
        #expect(try await browser.currentURL() == page.origin + "/", "the token is gone from the address bar")
        #expect(try await browser.text(of: "#recording-state").hasPrefix("Recording since"))
        try await browser.click("#pause-5")
        #expect(try await browser.text(of: "#recording-state").hasPrefix("Paused until"))
        #expect(try session.me.run("status", "--vault", session.vault).stdout.contains("PAUSED until"))
        try await browser.click("#resume")
        #expect(try await browser.text(of: "#recording-state").hasPrefix("Recording since"))
        #expect(!(try session.me.run("status", "--vault", session.vault).stdout.contains("PAUSED")))
        #expect(try await browser.text(of: "#vault-summary").contains("encrypted"))
        await browser.quit()
        _ = try session.stop()
    }

    @Test(
        "Without its session every page and asset answers 401; the token works once, for an HttpOnly, SameSite=Strict cookie; a form posted without the page's CSRF token is refused and pauses nothing; every answer has a strict Content-Security-Policy"
    )
    func security() async throws {
        let session = try await TypingSession()
        let page = try ReviewPage(session.me, vault: session.vault)
        defer { page.stop() }
        for path in ["/", "/style.css", "/elsewhere"] {
            #expect(ReviewPage.status(try ReviewPage.curl(page.origin + path)) == 401, "\(path) without a session")
        }
        #expect(ReviewPage.status(try ReviewPage.curl("-X", "POST", "-d", "minutes=5", page.origin + "/pause")) == 401)
        let jar = session.me.config.appendingPathComponent("cookies").path
        try FileManager.default.createDirectory(at: session.me.config, withIntermediateDirectories: true)
        let exchanged = try ReviewPage.curl("-c", jar, page.address)
        #expect(ReviewPage.status(exchanged) == 303, "\(exchanged)")
        let cookie = exchanged.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") } ?? ""
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
        #expect(ReviewPage.status(try ReviewPage.curl(page.address)) == 401, "the token is single-use")

        let shown = try ReviewPage.curl("-b", jar, page.origin + "/")
        #expect(ReviewPage.status(shown) == 200)
        #expect(shown.contains("Content-Security-Policy: default-src 'none'"), "\(shown.prefix(800))")
        let missing = try ReviewPage.curl("-b", jar, page.origin + "/elsewhere")
        #expect(ReviewPage.status(missing) == 404 && missing.contains("Content-Security-Policy: default-src 'none'"), "\(missing.prefix(800))")
        // A cross-site form: the session's cookie, but not its CSRF token.
        for body in ["minutes=5", "csrf=forged&minutes=5"] {
            #expect(ReviewPage.status(try ReviewPage.curl("-b", jar, "-X", "POST", "-d", body, page.origin + "/pause")) == 403, "\(body)")
        }
        #expect(!(try session.me.run("status", "--vault", session.vault).stdout.contains("PAUSED")), "a refused form paused the recorder")
        // The page's own form does pause it: the refusals above are the CSRF check, not a broken form.
        let csrf = try #require(shown.firstRange(of: #/name="csrf" value="([^"]+)"/#).map { String(shown[$0].split(separator: "\"")[3]) })
        #expect(ReviewPage.status(try ReviewPage.curl("-b", jar, "-X", "POST", "-d", "csrf=\(csrf)&minutes=5", page.origin + "/pause")) == 303)
        #expect(try session.me.run("status", "--vault", session.vault).stdout.contains("PAUSED until"))
        _ = try session.stop()
    }

    @Test(
        "The timeline lists the day's segments; forgetting one in the page deletes it for good, as vault segments and vault check agree, and the page no longer lists it"
    )
    func timelineForget() async throws {
        let me = Contributor()
        #expect(try me.run("consent", "accept", "--quiet").status == 0)
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        // Three short synthetic recordings: a segment (at least) each.
        for _ in 1...3 { #expect(try me.run("record", "--vault", vault, "--synthetic-events", "20", "--for", "1s").status == 0) }
        func segments() throws -> [String] {
            try me.run("vault", "segments", "--vault", vault, "--json").stdout.split(separator: "\n").compactMap {
                try? JSONValue.parse(Data($0.utf8))["id"]?.stringValue
            }
        }
        let listed = try segments()
        #expect(listed.count >= 3, "\(listed)")
        let page = try ReviewPage(me, vault: vault)
        defer { page.stop() }
        let browser = try await WebDriver()
        try await browser.open(page.address)
        let shown = try await browser.source()
        for id in listed { #expect(shown.contains("id=\"segment-\(id)\""), "\(id) is not on the timeline") }
        let gone = listed[1]
        try await browser.click("#forget-\(gone)")
        #expect(try await browser.text(of: ".notice").hasPrefix("Forgot 1 segment"))
        #expect(try segments() == listed.filter { $0 != gone })
        #expect(try me.run("vault", "check", "--vault", vault).status == 0)
        #expect(!(try await browser.source()).contains("segment-\(gone)"))
        #expect(try await browser.text(of: "#held-summary").contains("not enrolled"))
        #expect(try await browser.text(of: ".segment-state") == "kept on this computer")
        await browser.quit()
    }

    @Test(
        "A segment's page shows each step on the screen it was decided on: the frame loads when the step is shown, and the click's mark sits where the click was; deleting that step in the page takes it and its screen, and vault check agrees the segment is whole"
    )
    func stepsOnTheirScreens() async throws {
        let session = try await TypingSession()
        try session.x.xdotool("mousemove 210 140\nsleep 0.3\nclick 1\nsleep 1.5")
        _ = try session.stop(keepVault: true)
        defer { try? FileManager.default.removeItem(atPath: session.vault) }
        let segments = try session.me.run("vault", "segments", "--vault", session.vault, "--json").stdout.split(separator: "\n").compactMap {
            try? JSONValue.parse(Data($0.utf8))["id"]?.stringValue
        }
        let page = try ReviewPage(session.me, vault: session.vault)
        defer { page.stop() }
        let browser = try await WebDriver()
        try await browser.open(page.address)
        var found: (segment: String, step: String)?
        for segment in segments where found == nil {
            try await browser.open(page.origin + "/segment/\(segment)")
            let source = try await browser.source()
            // The figure holding a click mark at the click's point.
            for figure in source.split(separator: "<figure ").dropFirst() where figure.contains("cx=\"210\" cy=\"140\"") {
                found = (segment, String(figure.split(separator: "\"")[3]))
            }
        }
        let (segment, step) = try #require(found, "no step shows the click at (210, 140) in \(segments)")
        try await browser.open(page.origin + "/segment/\(segment)#\(step)")
        var width: Double?
        for _ in 0..<25 where (width ?? 0) == 0 {
            width = try await browser.number("naturalWidth", of: "#\(step) img")
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect((width ?? 0) > 0, "the frame of \(step) did not load")
        #expect(try await browser.text(of: "#\(step) figcaption").contains("click"))
        let number = String(step.dropFirst("step-".count))
        let shownFrame = try #require(
            (try await browser.source()).split(separator: "<figure ").first { $0.contains("id=\"\(step)\"") }?
                .firstMatch(of: #/src="([^"]+)"/#).map { String($0.1) })
        for field in ["#delete-first", "#delete-last"] {
            try await browser.clear(field)
            try await browser.type(number, into: field)
        }
        try await browser.click("#delete-steps-button")
        #expect(try await browser.text(of: "#notice").hasPrefix("Deleted steps \(number)–\(number)"))
        let after = try await browser.source()
        #expect(!after.contains("id=\"\(step)\""), "the step is still on the page")
        #expect(try session.me.run("vault", "check", "--vault", session.vault).status == 0)
        // Its screen is gone from the vault (unless a step left shows the very same pixels).
        if !after.contains(shownFrame) {
            try await browser.open(page.origin + shownFrame)
            #expect(try await browser.source().contains("Not found."))
        }
        await browser.quit()
    }

    @Test(
        "The page explains the policy consented to, adds and removes exemptions as exempt does, and forgets everything only once the contributor ticks that they are sure"
    )
    func choicesAndForgettingAll() async throws {
        let me = Contributor()
        #expect(try me.run("consent", "accept", "--quiet").status == 0)
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        for _ in 1...2 { #expect(try me.run("record", "--vault", vault, "--synthetic-events", "20", "--for", "1s").status == 0) }
        let page = try ReviewPage(me, vault: vault)
        defer { page.stop() }
        let browser = try await WebDriver()
        try await browser.open(page.address)
        #expect(try await browser.text(of: "#consent-state").hasPrefix("You consented to understudy-default"))
        #expect(try await browser.source().contains("never records"), "the policy is not explained")

        try await browser.type("xcalc", into: "#exemption-value")
        try await browser.click("#add-exemption")
        #expect(try await browser.text(of: ".notice").contains("xcalc"))
        let listed = try me.run("exempt", "list").stdout
        #expect(listed.contains("xcalc"), "\(listed)")
        let id = try #require(listed.split(separator: " ").first.map(String.init))
        try await browser.click("#remove-\(id)")
        #expect(try me.run("exempt", "list").stdout.contains("No exemptions."))

        // Without the box ticked the browser does not even send the form; sent anyway, it forgets nothing.
        try await browser.click("#forget-all")
        #expect(!(try me.run("vault", "segments", "--vault", vault).stdout.isEmpty), "forgotten without the box ticked")
        try await browser.click("#forget-all-sure")
        try await browser.click("#forget-all")
        #expect(try await browser.text(of: ".notice").hasPrefix("Forgot 2 segment"))
        #expect(try me.run("vault", "segments", "--vault", vault).stdout.isEmpty)
        #expect(try me.run("vault", "check", "--vault", vault).status == 0)
        await browser.quit()
    }

    @Test(
        "When enrolled, the page says how many segments the organisation's collector holds of the contributor's and lists the audit records about their data"
    )
    func heldByCollector() async throws {
        let org = try Organisation()
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        let held = try org.me.run("held", "list", "--json").stdout.split(separator: "\n").count
        #expect(held >= 1)
        // Recorded after the sync: still here, due at the next one (the organisation's review window is 0 s).
        _ = try org.recordSynthetic(seconds: 1, into: vault)
        let page = try ReviewPage(org.me, vault: vault)
        defer { page.stop() }
        let browser = try await WebDriver()
        try await browser.open(page.address)
        let summary = try await browser.text(of: "#held-summary")
        #expect(summary.contains("holds \(held) segment"), "\(summary)")
        #expect(try await browser.text(of: "#held-audit").contains("segment_stored"))
        #expect(try await browser.text(of: ".segment-state") == "uploads at the next sync")
        // Deleting one there, from the page: the collector no longer holds it.
        let ids = try org.me.run("held", "list", "--json").stdout.split(separator: "\n").compactMap {
            try? JSONValue.parse(Data($0.utf8))["id"]?.stringValue
        }
        let gone = try #require(ids.first)
        try await browser.click("#delete-held-\(gone)")
        #expect(try await browser.text(of: ".notice").hasPrefix("Your organisation's collector deleted segment"))
        #expect(try org.me.run("held", "list", "--json").stdout.split(separator: "\n").count == held - 1)
        #expect(try await browser.text(of: "#held-summary").contains("holds \(held - 1) segment"))
        await browser.quit()
    }
}
